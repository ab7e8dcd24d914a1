import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createUser, login, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { exchangeCode, obtainCode, pkcePair, registerClient } from "../support/oauth-helpers.ts";

let gateway: TestGateway;
let aliceId: string;

// One gateway for the file: users are slow to create (argon2). Tests that end alice's credentials
// give her new ones.
beforeAll(async () => {
  gateway = await testGateway();
  await createUser(gateway, "root", { isAdmin: true });
  aliceId = (await createUser(gateway, "alice")).id;
  await createUser(gateway, "bob");
  const registry = gateway.app.decorator.gateway.registry;
  const policy = gateway.app.decorator.gateway.policy;
  const notes = await registry.create({
    name: "notes",
    displayName: '<script>alert("x")</script> Notes',
    url: "http://127.0.0.1:9/mcp",
  });
  await registry.create({ name: "secret", displayName: "Secret", url: "http://127.0.0.1:9/mcp" });
  if (!notes.ok) throw new Error(notes.message);
  policy.grantUser(notes.server.id, aliceId);
});
afterAll(() => gateway?.close());

async function signedIn(username = "alice", password = STRONG_PASSWORD) {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, password, "/portal/");
  expect(result.response.status).toBe(303);
  expect(result.response.headers.get("location")).toBe("/portal/");
  return jar;
}

async function csrf(jar: Jar, path = "/portal/account"): Promise<string> {
  return hiddenValue((await getPage(gateway, jar, path)).html, "_csrf") as string;
}

const PAGES = ["/portal/", "/portal/tokens", "/portal/applications", "/portal/account"];

describe("the user portal", () => {
  test("every page without a session → the login page, which comes back to it", async () => {
    for (const path of PAGES) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get("location") as string, "http://x");
      expect(location.pathname).toBe("/login");
      expect(location.searchParams.get("return_to")).toBe(path);
    }
  });

  test("a user sees only the servers granted to them, with their URLs; names with HTML are text; pages carry the strict CSP", async () => {
    const jar = await signedIn();
    const { response, html } = await getPage(gateway, jar, "/portal/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const base = gateway.ctx.config.publicUrl;
    const servers = parseElements(html, "article.server");
    expect(servers.map((s) => s["data-server"])).toEqual(["notes"]);
    expect(html).toContain(`${base}/mcp/notes`);
    expect(html).not.toContain(`${base}/mcp/secret`);
    expect(html).toContain(`${base}/mcp</code>`);
    expect(html).not.toContain('<script>alert("x")');
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Notes");
    // Ready-to-paste configurations for each client.
    for (const client of ["Claude Code", "Claude Desktop", "Cursor", "VS Code", "Codex", "MCP Inspector"]) {
      expect(html).toContain(`<h4>${client}</h4>`);
    }
    expect(html).toContain(`claude mcp add --transport http notes ${base}/mcp/notes`);
    for (const path of PAGES) {
      const page = await getPage(gateway, jar, path);
      expect(page.response.status).toBe(200);
      expect(page.html).not.toContain("<script>alert");
    }
    // `/` sends a signed-in person who is not an administrator to the portal.
    const home = await getPage(gateway, jar, "/");
    expect(home.response.headers.get("location")).toBe("/portal/");
  });

  test("every portal POST without the CSRF token, with a wrong one or from another origin → 403; oversized → 413; nothing changes", async () => {
    const jar = await signedIn("bob");
    const good = await csrf(jar);
    const posts: [string, Record<string, string>][] = [
      ["/portal/tokens", { name: "n", scope: "all", expires_in_days: "7" }],
      ["/portal/tokens/some-id/revoke", {}],
      ["/portal/applications/disconnect", { client_id: "c" }],
      [
        "/portal/account/password",
        {
          current_password: STRONG_PASSWORD,
          new_password: "Another-Horse-10",
          new_password_confirm: "Another-Horse-10",
        },
      ],
      ["/portal/account/sign-out-everywhere", {}],
    ];
    for (const [path, fields] of posts) {
      const missing = await postForm(gateway, jar, path, fields);
      expect(missing.response.status).toBe(403);
      const wrong = await postForm(gateway, jar, path, { ...fields, _csrf: "x".repeat(64) });
      expect(wrong.response.status).toBe(403);
      const foreign = await postForm(
        gateway,
        jar,
        path,
        { ...fields, _csrf: good },
        { origin: "https://evil.test" },
      );
      expect(foreign.response.status).toBe(403);
      // An oversized form: 413 with a page that says so, before anything is read or changed.
      const huge = await postForm(gateway, jar, path, {
        ...fields,
        _csrf: good,
        filler: "x".repeat(gateway.ctx.config.maxBodyBytes),
      });
      expect(huge.response.status).toBe(413);
      expect(huge.html).toContain("The submitted form is too large.");
    }
    const bob = gateway.ctx.users.byUsername("bob");
    expect(gateway.ctx.personalTokens.listForUser(bob?.id as string)).toHaveLength(0);
    // Still signed in with the same password.
    expect((await getPage(gateway, jar, "/portal/account")).response.status).toBe(200);
    await login(gateway, "bob");
    // Without a session a POST goes to the login page.
    const anonymous = await postForm(gateway, new Jar(), "/portal/tokens", { _csrf: good });
    expect(anonymous.response.status).toBe(303);
  });

  test("connected applications: listed with their name and resource, disconnect ends consent and tokens", async () => {
    const jar = await signedIn();
    const client = await registerClient(gateway, { client_name: "<b>Desk</b> app" });
    const cookie = jar.header();
    const { verifier, challenge } = await pkcePair();
    const resource = `${gateway.ctx.config.publicUrl}/mcp/notes`;
    const { code } = await obtainCode(
      gateway,
      { cookie, csrf: await csrf(jar) },
      {
        client_id: client.client_id,
        code_challenge: challenge,
        resource,
        scope: "mcp",
      },
    );
    const tokens = (await (
      await exchangeCode(gateway, client.client_id, code, verifier, { resource })
    ).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const { html } = await getPage(gateway, jar, "/portal/applications");
    expect(html).toContain("&lt;b&gt;Desk&lt;/b&gt; app");
    expect(html).toContain(resource);
    expect(parseElements(html, 'input[name="client_id"]').map((e) => e.value)).toEqual([client.client_id]);
    const bearer = await gateway.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, resource);
    expect(bearer.ok).toBe(true);

    const unknown = await postForm(gateway, jar, "/portal/applications/disconnect", {
      _csrf: await csrf(jar),
      client_id: "not-a-client",
    });
    expect(unknown.response.status).toBe(404);
    const done = await postForm(gateway, jar, "/portal/applications/disconnect", {
      _csrf: await csrf(jar),
      client_id: client.client_id,
    });
    expect(done.response.status).toBe(200);
    expect(done.html).toContain("No application is connected.");
    expect((await gateway.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, resource)).ok).toBe(false);
    const refresh = await gateway.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: client.client_id,
      }).toString(),
    });
    expect(refresh.status).toBe(400);
  });

  test("change password: the policy applies, a wrong current password changes nothing; done → other sessions and tokens end, this browser stays in", async () => {
    const jar = await signedIn();
    const other = await signedIn();
    const pat = gateway.ctx.personalTokens.create({
      userId: aliceId,
      name: "p",
      servers: null,
      expiresAt: null,
    });
    const post = async (fields: Record<string, string>) =>
      postForm(gateway, jar, "/portal/account/password", { _csrf: await csrf(jar), ...fields });

    const wrongCurrent = await post({
      current_password: "Not-The-Password-1",
      new_password: "Fresh-Horse-42",
      new_password_confirm: "Fresh-Horse-42",
    });
    expect(wrongCurrent.response.status).toBe(400);
    expect(wrongCurrent.html).toContain("The current password is not correct.");
    const weak = await post({
      current_password: STRONG_PASSWORD,
      new_password: "short",
      new_password_confirm: "short",
    });
    expect(weak.response.status).toBe(400);
    expect(weak.html).toContain("New password: password must contain");
    const mismatch = await post({
      current_password: STRONG_PASSWORD,
      new_password: "Fresh-Horse-42",
      new_password_confirm: "Fresh-Horse-43",
    });
    expect(mismatch.response.status).toBe(400);
    const huge = await post({
      current_password: "x".repeat(5000),
      new_password: "Fresh-Horse-42",
      new_password_confirm: "Fresh-Horse-42",
    });
    expect(huge.response.status).toBe(400);
    expect(gateway.ctx.personalTokens.find(pat.token)).toBeDefined();

    const changed = await post({
      current_password: STRONG_PASSWORD,
      new_password: "Fresh-Horse-42",
      new_password_confirm: "Fresh-Horse-42",
    });
    expect(changed.response.status).toBe(200);
    expect(changed.html).toContain("Password changed.");
    // This browser has a new session; the other one is out; the personal access token ended.
    expect((await getPage(gateway, jar, "/portal/account")).response.status).toBe(200);
    expect((await getPage(gateway, other, "/portal/account")).response.status).toBe(303);
    expect(gateway.ctx.personalTokens.find(pat.token)).toBeUndefined();
    expect(await gateway.ctx.users.authenticate("alice", STRONG_PASSWORD)).toBeNull();
    expect(await gateway.ctx.users.authenticate("alice", "Fresh-Horse-42")).not.toBeNull();
    await gateway.ctx.users.setPassword(aliceId, STRONG_PASSWORD);
    gateway.clock.advance(1000);
  });

  test("sign out everywhere: every session, OAuth token and personal access token of the person ends", async () => {
    const jar = await signedIn();
    const other = await signedIn();
    const pat = gateway.ctx.personalTokens.create({
      userId: aliceId,
      name: "p",
      servers: null,
      expiresAt: null,
    });
    const resource = `${gateway.ctx.config.publicUrl}/mcp/notes`;
    const access = (await login(gateway, "alice", { resource })).access_token;
    const done = await postForm(gateway, jar, "/portal/account/sign-out-everywhere", {
      _csrf: await csrf(jar),
    });
    expect(done.response.status).toBe(200);
    expect(done.html).toContain("Signed out everywhere");
    for (const browser of [jar, other]) {
      expect((await getPage(gateway, browser, "/portal/")).response.status).toBe(303);
    }
    expect(gateway.ctx.personalTokens.find(pat.token)).toBeUndefined();
    expect((await gateway.ctx.bearer.authenticate(`Bearer ${access}`, resource)).ok).toBe(false);
    gateway.clock.advance(1000);
  });

  test("a disabled user is out of the portal at once", async () => {
    const jar = await signedIn("bob");
    const bob = gateway.ctx.users.byUsername("bob");
    gateway.ctx.users.update(bob?.id as string, { isActive: false });
    expect((await getPage(gateway, jar, "/portal/")).response.status).toBe(303);
    gateway.ctx.users.update(bob?.id as string, { isActive: true });
  });
});
