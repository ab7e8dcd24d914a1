import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createUser, login, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { exchangeCode, obtainCode, pkcePair, registerClient } from "../support/oauth-helpers.ts";

let gateway: TestGateway;
let rootId: string;
let aliceId: string;
let bobId: string;

// One gateway for the file: users with passwords are slow to create (argon2).
beforeAll(async () => {
  gateway = await testGateway();
  rootId = (await createUser(gateway, "root", { isAdmin: true })).id;
  aliceId = (await createUser(gateway, "alice")).id;
  bobId = (await createUser(gateway, "bob")).id;
});
afterAll(() => gateway?.close());

async function signedIn(username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  expect(result.response.status).toBe(303);
  return jar;
}

async function csrfOf(jar: Jar, path = "/admin/users"): Promise<string> {
  return hiddenValue((await getPage(gateway, jar, path)).html, "_csrf") as string;
}

const api = () => gateway.app.decorator.gateway;

/** Everything a POST of the users pages could change about bob, to compare before and after. */
function bobState() {
  const user = gateway.ctx.users.byId(bobId);
  return {
    user: user && { active: user.isActive, admin: user.isAdmin, hash: user.passwordHash },
    groups: [...(api().policy.groupsOf(bobId) ?? [])].sort(),
    grants: api()
      .registry.list()
      .map((server) => api().policy.grantFor(server.id, "user", bobId)?.id ?? null),
    tokens: gateway.ctx.personalTokens.listForUser(bobId).map((t) => t.revokedAt),
    sessions: gateway.ctx.browserSessions.listForUser(bobId).length,
    users: gateway.ctx.users.list().length,
  };
}

describe("admin users pages", () => {
  test("without a session every page → the login, which comes back; a non-admin → 403", async () => {
    const pages = ["/admin/users", "/admin/users?q=al&page=1", `/admin/users/${aliceId}`, "/admin/security"];
    for (const path of pages) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get("location") as string, "http://x");
      expect(location.pathname).toBe("/login");
      expect(location.searchParams.get("return_to")).toBe(path);
    }
    const jar = await signedIn("alice");
    for (const path of pages) {
      const { response, html } = await getPage(gateway, jar, path);
      expect(response.status).toBe(403);
      expect(html).not.toContain("bob@example.test");
    }
  });

  test("search and server-side pagination over many users", async () => {
    for (let i = 0; i < 60; i++) {
      const created = gateway.ctx.users.createExternal({
        username: `bulk-${String(i).padStart(2, "0")}`,
        email: `bulk-${i}@example.test`,
      });
      expect(created.ok).toBe(true);
    }
    const jar = await signedIn();
    const first = await getPage(gateway, jar, "/admin/users?q=bulk");
    expect(first.response.status).toBe(200);
    expect(first.html).toContain("Page 1 of 2 · 60 users");
    expect(parseElements(first.html, "tr[data-user]")).toHaveLength(50);
    expect(parseElements(first.html, "nav.pager a").map((a) => a.href)).toEqual([
      "/admin/users?q=bulk&page=2",
    ]);
    const second = await getPage(gateway, jar, "/admin/users?q=bulk&page=2");
    expect(parseElements(second.html, "tr[data-user]")).toHaveLength(10);
    expect(second.html).toContain("Page 2 of 2");
    const one = await getPage(gateway, jar, "/admin/users?q=alice");
    expect(parseElements(one.html, "tr[data-user]").map((r) => r["data-user"])).toEqual([aliceId]);
    // Bad paging or an oversized search: a clear 400 page, never a 500.
    for (const path of [
      "/admin/users?page=0",
      "/admin/users?page=abc",
      `/admin/users?q=${"x".repeat(500)}`,
    ]) {
      const bad = await getPage(gateway, jar, path);
      expect(bad.response.status).toBe(400);
      expect(bad.html).toContain('class="errors"');
    }
  });

  test("create: password-policy and field errors inline (escaped, nothing created); success records admin_change with the password masked", async () => {
    const jar = await signedIn();
    const csrf = await csrfOf(jar);
    const before = gateway.ctx.users.list().length;
    const weak = await postForm(gateway, jar, "/admin/users", {
      _csrf: csrf,
      username: "carol",
      email: "carol@example.test",
      password: "short",
    });
    expect(weak.response.status).toBe(400);
    expect(weak.html).toMatch(/<li>Password: [^<]+<\/li>/);
    expect(weak.html).toContain('value="carol"');
    const hostile = await postForm(gateway, jar, "/admin/users", {
      _csrf: csrf,
      username: '<img src=x onerror="alert(1)">',
      email: "<b>x</b>@example.test",
      password: STRONG_PASSWORD,
    });
    expect(hostile.response.status).toBe(400);
    // Shown back as the field's value (an attribute, quotes escaped), never as an element.
    expect(parseElements(hostile.html, "img")).toHaveLength(0);
    expect(parseElements(hostile.html, "b")).toHaveLength(0);
    expect(parseElements(hostile.html, 'input[name="username"]')[0]?.value).toBe(
      "<img src=x onerror=&#34;alert(1)&#34;>",
    );
    expect(hostile.html).toContain("username: expected 3–64 letters");
    const huge = await postForm(gateway, jar, "/admin/users", {
      _csrf: csrf,
      username: "u".repeat(5000),
      email: "carol@example.test",
      password: STRONG_PASSWORD,
    });
    expect(huge.response.status).toBe(400);
    expect(huge.html).toContain("username: expected 3–64 letters");
    const taken = await postForm(gateway, jar, "/admin/users", {
      _csrf: csrf,
      username: "alice",
      email: "other@example.test",
      password: STRONG_PASSWORD,
    });
    expect(taken.response.status).toBe(409);
    expect(gateway.ctx.users.list().length).toBe(before);

    const created = await postForm(gateway, jar, "/admin/users", {
      _csrf: csrf,
      username: "carol",
      email: "carol@example.test",
      password: STRONG_PASSWORD,
    });
    expect(created.response.status).toBe(201);
    const carol = gateway.ctx.users.byUsername("carol");
    expect(carol?.isAdmin).toBe(false);
    expect(created.html).toContain("User carol created.");
    const events = gateway.ctx.securityLog.page({ types: ["admin_change"], userId: rootId }, 10, 0).rows;
    const event = events.find((e) => e.details.action === "POST /admin/users");
    expect(event?.details.request).toMatchObject({ username: "carol", password: "********" });
    expect(JSON.stringify(event)).not.toContain(STRONG_PASSWORD);
    expect(JSON.stringify(event)).not.toContain(csrf);
  });

  test("disable ends the user's tokens at the next request; enable, admin role, password reset, self-protection", async () => {
    const jar = await signedIn();
    const csrf = await csrfOf(jar, `/admin/users/${aliceId}`);
    const token = (await login(gateway, "alice")).access_token;
    const asAlice = () =>
      gateway.request("/admin/api/users", { headers: { authorization: `Bearer ${token}` } });
    expect((await asAlice()).status).toBe(403);

    const disabled = await postForm(gateway, jar, `/admin/users/${aliceId}/disable`, { _csrf: csrf });
    expect(disabled.response.status).toBe(200);
    expect(disabled.html).toContain("User disabled");
    expect(gateway.ctx.users.byId(aliceId)?.isActive).toBe(false);
    expect((await asAlice()).status).toBe(401);
    const enabled = await postForm(gateway, jar, `/admin/users/${aliceId}/enable`, { _csrf: csrf });
    expect(enabled.response.status).toBe(200);
    expect(gateway.ctx.users.byId(aliceId)?.isActive).toBe(true);

    await postForm(gateway, jar, `/admin/users/${aliceId}/make-admin`, { _csrf: csrf });
    expect(gateway.ctx.users.byId(aliceId)?.isAdmin).toBe(true);
    await postForm(gateway, jar, `/admin/users/${aliceId}/unmake-admin`, { _csrf: csrf });
    expect(gateway.ctx.users.byId(aliceId)?.isAdmin).toBe(false);

    const hashBefore = gateway.ctx.users.byId(aliceId)?.passwordHash;
    const weak = await postForm(gateway, jar, `/admin/users/${aliceId}/password`, {
      _csrf: csrf,
      password: "abc",
    });
    expect(weak.response.status).toBe(400);
    expect(weak.html).toMatch(/<li>Password: [^<]+<\/li>/);
    expect(gateway.ctx.users.byId(aliceId)?.passwordHash).toBe(hashBefore);
    const reset = await postForm(gateway, jar, `/admin/users/${aliceId}/password`, {
      _csrf: csrf,
      password: STRONG_PASSWORD,
    });
    expect(reset.response.status).toBe(200);
    expect(gateway.ctx.users.byId(aliceId)?.passwordHash).not.toBe(hashBefore);

    // The JSON API's rule: an admin cannot disable or demote their own account.
    for (const action of ["disable", "unmake-admin"]) {
      const own = await postForm(gateway, jar, `/admin/users/${rootId}/${action}`, { _csrf: csrf });
      expect(own.response.status).toBe(409);
      expect(own.html).toContain("You cannot disable, delete or remove the admin role of your own account");
    }
    expect(gateway.ctx.users.byId(rootId)).toMatchObject({ isActive: true, isAdmin: true });
    const missing = await postForm(gateway, jar, "/admin/users/no-such-id/disable", { _csrf: csrf });
    expect(missing.response.status).toBe(404);
  });

  test("groups, grants, applications' tokens, personal tokens and browser sessions: shown and each revocable", async () => {
    const { groups, policy, registry } = api();
    const group = groups.create({ name: "<i>ops</i>", description: "" });
    if (!group.ok) throw new Error(group.message);
    const notes = await registry.create({
      name: "notes",
      displayName: "Notes",
      url: "http://127.0.0.1:9/mcp",
    });
    if (!notes.ok) throw new Error(notes.message);
    const grant = policy.grantUser(notes.server.id, bobId);
    const { record } = gateway.ctx.personalTokens.create({
      userId: bobId,
      name: "<script>alert(1)</script>",
      servers: null,
      expiresAt: null,
    });
    const bobJar = await signedIn("bob");
    expect(gateway.ctx.browserSessions.listForUser(bobId)).toHaveLength(1);

    const jar = await signedIn();
    const base = `/admin/users/${bobId}`;
    const page = await getPage(gateway, jar, base);
    expect(page.response.status).toBe(200);
    expect(page.html).not.toContain("<script>alert(1)");
    expect(page.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.html).toContain("&lt;i&gt;ops&lt;/i&gt;");
    const csrf = hiddenValue(page.html, "_csrf") as string;
    // The groups to add to are searched on the server (one page of matches), not all listed.
    const other = groups.create({ name: "support", description: "" });
    if (!other.ok) throw new Error(other.message);
    const ops = await getPage(gateway, jar, `${base}?group_q=ops`);
    expect(parseElements(ops.html, 'select[name="group_id"] option').map((o) => o.value)).toEqual([
      group.group.id,
    ]);
    const none = await getPage(gateway, jar, `${base}?group_q=zzz`);
    expect(parseElements(none.html, 'select[name="group_id"] option')).toHaveLength(0);
    expect(none.html).toContain("No other group matches.");
    expect((await getPage(gateway, jar, `${base}?group_q=${"g".repeat(300)}`)).response.status).toBe(400);

    const added = await postForm(gateway, jar, `${base}/groups`, { _csrf: csrf, group_id: group.group.id });
    expect(added.response.status).toBe(200);
    expect(policy.isMember(group.group.id, bobId)).toBe(true);
    const unknownGroup = await postForm(gateway, jar, `${base}/groups`, { _csrf: csrf, group_id: "nope" });
    expect(unknownGroup.response.status).toBe(404);
    const removed = await postForm(gateway, jar, `${base}/groups/${group.group.id}/remove`, { _csrf: csrf });
    expect(removed.response.status).toBe(200);
    expect(policy.isMember(group.group.id, bobId)).toBe(false);

    const revokedGrant = await postForm(gateway, jar, `${base}/grants/${grant.id}/revoke`, { _csrf: csrf });
    expect(revokedGrant.response.status).toBe(200);
    expect(policy.grantFor(notes.server.id, "user", bobId)).toBeUndefined();

    const revokedToken = await postForm(gateway, jar, `${base}/tokens/${record.id}/revoke`, { _csrf: csrf });
    expect(revokedToken.response.status).toBe(200);
    expect(gateway.ctx.personalTokens.byId(record.id)?.revokedAt).not.toBeNull();
    // Another user's token is not revocable from bob's page.
    const again = await postForm(gateway, jar, `/admin/users/${aliceId}/tokens/${record.id}/revoke`, {
      _csrf: csrf,
    });
    expect(again.response.status).toBe(404);

    const noApp = await postForm(gateway, jar, `${base}/applications/revoke`, {
      _csrf: csrf,
      client_id: "x",
    });
    expect(noApp.response.status).toBe(404);

    const [session] = gateway.ctx.browserSessions.listForUser(bobId);
    const ended = await postForm(gateway, jar, `${base}/sessions/revoke`, {
      _csrf: csrf,
      session: session?.idHash ?? "",
    });
    expect(ended.response.status).toBe(200);
    const bobPortal = await getPage(gateway, bobJar, "/portal/");
    expect(bobPortal.response.status).toBe(303);
    expect(bobPortal.response.headers.get("location")).toStartWith("/login");
  });

  test("a connected application is shown with its name escaped; revoking it ends the consent and its tokens for that user", async () => {
    const created = await api().registry.create({
      name: "apps",
      displayName: "Apps",
      url: "http://127.0.0.1:9/mcp",
    });
    if (!created.ok) throw new Error(created.message);
    api().policy.grantUser(created.server.id, bobId);
    const bobJar = await signedIn("bob");
    const client = await registerClient(gateway, { client_name: "<b>Desk</b> app" });
    const { verifier, challenge } = await pkcePair();
    const resource = `${gateway.ctx.config.publicUrl}/mcp/apps`;
    const bobCsrf = hiddenValue((await getPage(gateway, bobJar, "/portal/account")).html, "_csrf") as string;
    const { code } = await obtainCode(
      gateway,
      { cookie: bobJar.header(), csrf: bobCsrf },
      { client_id: client.client_id, code_challenge: challenge, resource, scope: "mcp" },
    );
    const tokens = (await (
      await exchangeCode(gateway, client.client_id, code, verifier, { resource })
    ).json()) as {
      access_token: string;
    };
    expect((await gateway.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, resource)).ok).toBe(true);

    const jar = await signedIn();
    const page = await getPage(gateway, jar, `/admin/users/${bobId}`);
    expect(page.html).toContain("&lt;b&gt;Desk&lt;/b&gt; app");
    expect(parseElements(page.html, 'input[name="client_id"]').map((e) => e.value)).toEqual([
      client.client_id,
    ]);
    const done = await postForm(gateway, jar, `/admin/users/${bobId}/applications/revoke`, {
      _csrf: hiddenValue(page.html, "_csrf") as string,
      client_id: client.client_id,
    });
    expect(done.response.status).toBe(200);
    expect(done.html).toContain("Application disconnected");
    const [revoked] = gateway.ctx.securityLog.page({ types: ["consent_revoked"], userId: bobId }, 1, 0).rows;
    expect(revoked?.details.by).toBe("admin");
    expect((await gateway.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, resource)).ok).toBe(false);
  });

  test("every POST route without the CSRF token, with a wrong one or from another origin → 403; non-admin → 403; nothing changes", async () => {
    const jar = await signedIn();
    const good = await csrfOf(jar);
    const group = api().groups.create({ name: "csrf-group", description: "" });
    if (!group.ok) throw new Error(group.message);
    const base = `/admin/users/${bobId}`;
    // Every POST route of the users pages (asserted against the app's routes below).
    const posts: [string, Record<string, string>][] = [
      ["/admin/users", { username: "mallory", email: "m@example.test", password: STRONG_PASSWORD }],
      [`${base}/disable`, {}],
      [`${base}/enable`, {}],
      [`${base}/make-admin`, {}],
      [`${base}/unmake-admin`, {}],
      [`${base}/password`, { password: "Another-Horse-10" }],
      [`${base}/groups`, { group_id: group.group.id }],
      [`${base}/groups/${group.group.id}/remove`, {}],
      [`${base}/grants/some-grant/revoke`, {}],
      [`${base}/applications/revoke`, { client_id: "c" }],
      [`${base}/tokens/some-token/revoke`, {}],
      [`${base}/sessions/revoke`, { session: "s" }],
    ];
    const routes = gateway.app.routes
      .filter((r) => r.method === "POST" && r.path.startsWith("/admin/users"))
      .map((r) => r.path);
    const covered = posts.map(([path]) =>
      path
        .replace(bobId, ":id")
        .replace(group.group.id, ":groupId")
        .replace("some-grant", ":grantId")
        .replace("some-token", ":tokenId"),
    );
    expect([...routes].sort()).toEqual([...covered].sort());

    const aliceJar = await signedIn("alice");
    const aliceCsrf = hiddenValue(
      (await getPage(gateway, aliceJar, "/portal/account")).html,
      "_csrf",
    ) as string;
    const state = bobState();
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
      const nonAdmin = await postForm(gateway, aliceJar, path, { ...fields, _csrf: aliceCsrf });
      expect(nonAdmin.response.status).toBe(403);
      const anonymous = await postForm(gateway, new Jar(), path, { ...fields, _csrf: good });
      expect(anonymous.response.status).toBe(303);
      expect(anonymous.response.headers.get("location")).toStartWith("/login");
    }
    expect(bobState()).toEqual(state);
  });
});
