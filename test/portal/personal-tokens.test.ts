import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { browserLogin, getPage, hiddenValue, Jar, postForm } from "../admin/web.ts";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  sdkClient,
} from "../gateway/helpers.ts";
import { jsonInit, STRONG_PASSWORD } from "../support/context.ts";
import { browserUser } from "../support/oauth-helpers.ts";
import type { ListeningGateway } from "../support/server.ts";

let stage: GatewayWithUsers;
let gateway: ListeningGateway;
let setup: GatewayWithUsers["setup"];
let events: SecurityEvent[] = [];

// One gateway for the file (users are slow to create: argon2); each test makes its own tokens.
beforeAll(async () => {
  stage = await gatewayWithUsers();
  ({ gateway, setup } = stage);
  await twoServers();
  gateway.ctx.securityEvents.subscribe((event) => events.push(event));
});
afterAll(() => stage?.close());
beforeEach(() => {
  events = [];
});

const admin = () => ({ authorization: `Bearer ${setup.adminToken}` });

/** Two servers on the same backend; alice is granted only "granted". */
async function twoServers() {
  const granted = await createServer(gateway, setup.adminToken, { name: "granted", url: stage.backend.url });
  const other = await createServer(gateway, setup.adminToken, { name: "other", url: stage.backend.url });
  const response = await gateway.request(
    `/admin/api/mcp-servers/${granted.id}/grants`,
    jsonInit({ user_id: setup.user.id }, { headers: admin() }),
  );
  expect(response.status).toBe(201);
  return { granted, other };
}

async function signedIn(username = "alice") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/portal/");
  expect(result.response.status).toBe(303);
  return jar;
}

async function csrfOf(jar: Jar, path = "/portal/tokens"): Promise<string> {
  const { html } = await getPage(gateway, jar, path);
  const token = hiddenValue(html, "_csrf");
  if (!token) throw new Error("no _csrf");
  return token;
}

/** Creates a token through the portal form; returns the secret shown once and the page. */
async function createToken(jar: Jar, fields: Record<string, string>) {
  const _csrf = await csrfOf(jar);
  const { response, html } = await postForm(gateway, jar, "/portal/tokens", { _csrf, ...fields });
  const secret = /amcp_pat_[A-Za-z0-9_-]{43}/.exec(html)?.[0];
  return { status: response.status, html, secret };
}

const url = (server: string) => `${gateway.url}/mcp/${server}`;

async function initializeStatus(endpoint: string, token: string): Promise<number> {
  const response = await postMessage(endpoint, INITIALIZE, { authorization: `Bearer ${token}` });
  await response.body?.cancel();
  return response.status;
}

describe("personal access tokens", () => {
  test("created in the portal: shown once, stored as a hash, works with the SDK client on the server it names only, revoked → 401 at once", async () => {
    const jar = await signedIn();
    const created = await createToken(jar, {
      name: "CI job",
      scope: "selected",
      "server:granted": "on",
      expires_in_days: "30",
    });
    expect(created.status).toBe(201);
    const secret = created.secret as string;
    expect(secret).toStartWith("amcp_pat_");
    // Stored only as its SHA-256: the secret is nowhere in the database file's table.
    const rows = gateway.ctx.db.$client
      .query("SELECT * FROM personal_tokens WHERE name = 'CI job'")
      .all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    const id = rows[0]?.id as string;
    expect(JSON.stringify(rows)).not.toContain(secret.slice(9));
    expect(rows[0]?.token_hash).toBe(new Bun.CryptoHasher("sha256").update(secret).digest("hex"));
    // Shown once: the list page afterwards has the name, not the secret.
    const list = await getPage(gateway, jar, "/portal/tokens");
    expect(list.html).toContain("CI job");
    expect(list.html).not.toContain(secret);
    const issued = events.find((e) => e.type === "token_issued");
    expect(issued?.clientId).toBe(`pat:${id}`);
    expect(issued?.userId).toBe(setup.user.id);
    expect(JSON.stringify(events)).not.toContain(secret);

    // The SDK client with the token as its bearer: initialize, tools/list and a call reach the backend.
    const activity: McpActivity[] = [];
    const unsubscribe = gateway.ctx.activity.subscribe((row) => activity.push(row));
    const { client } = await sdkClient(url("granted"), secret);
    const result = await client.callTool({ name: "echo", arguments: { text: "via pat" } });
    expect(JSON.stringify(result.content)).toContain("via pat");
    // Recorded like any other credential: the activity row names the token as its client.
    const call = activity.find((row) => row.method === "tools/call");
    expect(call).toMatchObject({
      clientId: `pat:${id}`,
      userId: setup.user.id,
      server: "granted",
      target: "echo",
    });
    unsubscribe();
    // The backend never sees the token.
    expect(JSON.stringify(stage.backend.received.map((r) => r.headers))).not.toContain(secret);

    // Not at a server it does not name, not at /mcp (it names servers), not at the admin API.
    expect(await initializeStatus(url("other"), secret)).toBe(401);
    expect(await initializeStatus(`${gateway.url}/mcp`, secret)).toBe(401);
    const adminApi = await gateway.request("/admin/api/users", {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(adminApi.status).toBe(401);

    // Revoked in the portal: the very next call on the open session is refused.
    const _csrf = await csrfOf(jar);
    const revoked = await postForm(gateway, jar, `/portal/tokens/${id}/revoke`, { _csrf });
    expect(revoked.response.status).toBe(200);
    expect(revoked.html).toContain("Token revoked");
    const refused = await client.callTool({ name: "echo", arguments: { text: "again" } }).catch((e) => e);
    expect(String(refused)).toContain("the personal access token is invalid, expired or revoked");
    expect(await initializeStatus(url("granted"), secret)).toBe(401);
    expect(events.find((e) => e.type === "token_revoked")?.clientId).toBe(`pat:${id}`);
    await client.close();
  });

  test("a token for all servers works at /mcp and at every granted server; not at a server the user may not use", async () => {
    const jar = await signedIn();
    const { secret } = await createToken(jar, { name: "everything", scope: "all", expires_in_days: "7" });
    const token = secret as string;
    const { client } = await sdkClient(`${gateway.url}/mcp`, token);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain("granted__echo");
    expect(tools.tools.map((t) => t.name).some((n) => n.startsWith("other"))).toBe(false);
    await client.close();
    expect(await initializeStatus(url("granted"), token)).toBe(200);
    // The access policy still decides: alice has no grant on "other" (the proxy answers 404 there).
    expect(await initializeStatus(url("other"), token)).toBe(404);
  });

  test("a disabled user's token is refused at the next request and stays revoked when enabled again", async () => {
    const jar = await signedIn();
    const token = (await createToken(jar, { name: "t", scope: "all", expires_in_days: "7" }))
      .secret as string;
    expect(await initializeStatus(url("granted"), token)).toBe(200);
    const id = gateway.ctx.personalTokens.listForUser(setup.user.id).find((t) => t.name === "t")?.id;
    const disable = await gateway.request(`/admin/api/users/${setup.user.id}`, {
      ...jsonInit({ is_active: false }, { headers: admin() }),
      method: "PATCH",
    });
    expect(disable.status).toBe(200);
    expect(await initializeStatus(url("granted"), token)).toBe(401);
    const revokedIds = events
      .filter((e) => e.type === "token_revoked" && e.details.by === "credentials_ended")
      .map((e) => e.clientId);
    expect(revokedIds).toContain(`pat:${id}`);
    const enable = await gateway.request(`/admin/api/users/${setup.user.id}`, {
      ...jsonInit({ is_active: true }, { headers: admin() }),
      method: "PATCH",
    });
    expect(enable.status).toBe(200);
    expect(await initializeStatus(url("granted"), token)).toBe(401);
    // The cutoff of the disable counts whole seconds: later tests sign alice in a second later.
    gateway.clock.advance(1000);
  });

  test("hostile or oversized input to the token form: a clear error, nothing created", async () => {
    const jar = await signedIn();
    const cases: Record<string, string>[] = [
      { name: "", scope: "all", expires_in_days: "7" },
      { name: "x".repeat(101), scope: "all", expires_in_days: "7" },
      { name: "a\u0000b", scope: "all", expires_in_days: "7" },
      { name: "n", scope: "everything", expires_in_days: "7" },
      { name: "n", scope: "selected", expires_in_days: "7" },
      { name: "n", scope: "selected", "server:other": "on", expires_in_days: "7" },
      { name: "n", scope: "selected", "server:<script>": "on", expires_in_days: "7" },
      { name: "n", scope: "all", expires_in_days: "-1" },
      { name: "n", scope: "all", expires_in_days: "1e3" },
      { name: "n", scope: "all" },
    ];
    const before = gateway.ctx.personalTokens.listForUser(setup.user.id).length;
    for (const fields of cases) {
      const result = await createToken(jar, fields);
      expect(result.status).toBe(400);
      expect(result.html).toContain('class="errors"');
      expect(result.secret).toBeUndefined();
    }
    // A repeated field and an oversized body are refused before anything is read.
    const _csrf = await csrfOf(jar);
    const repeated = await gateway.request("/portal/tokens", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: gateway.url,
        cookie: jar.header(),
      },
      body: `_csrf=${_csrf}&name=a&name=b&scope=all&expires_in_days=7`,
    });
    expect(repeated.status).toBe(400);
    const huge = await postForm(gateway, jar, "/portal/tokens", {
      _csrf,
      name: "x".repeat(gateway.ctx.config.maxBodyBytes + 10),
      scope: "all",
      expires_in_days: "7",
    });
    expect(huge.response.status).toBe(413);
    // A script in the name is shown as text.
    const shown = await createToken(jar, {
      name: "<img src=x onerror=alert(1)>",
      scope: "all",
      expires_in_days: "7",
    });
    expect(shown.status).toBe(201);
    expect(shown.html).not.toContain("<img src=x");
    expect(shown.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(gateway.ctx.personalTokens.listForUser(setup.user.id)).toHaveLength(before + 1);
  });

  test("someone else's token cannot be revoked from the portal; an unknown id is a 404 page", async () => {
    const aliceJar = await signedIn("alice");
    await createToken(aliceJar, { name: "alice's", scope: "all", expires_in_days: "7" });
    const id = gateway.ctx.personalTokens.listForUser(setup.user.id).find((t) => t.name === "alice's")
      ?.id as string;
    const malloryJar = await signedIn("mallory");
    const _csrf = await csrfOf(malloryJar);
    const attempt = await postForm(gateway, malloryJar, `/portal/tokens/${id}/revoke`, { _csrf });
    expect(attempt.response.status).toBe(404);
    const unknown = await postForm(gateway, malloryJar, `/portal/tokens/${"z".repeat(5000)}/revoke`, {
      _csrf,
    });
    expect(unknown.response.status).toBe(404);
    expect(gateway.ctx.personalTokens.byId(id)?.revokedAt).toBeNull();
  });

  test("administrators list every user's tokens and revoke any; non-admins get 403", async () => {
    const jar = await signedIn();
    const token = (await createToken(jar, { name: "alice-ci", scope: "all", expires_in_days: "7" }))
      .secret as string;
    const list = await gateway.request("/admin/api/personal-tokens?q=alice", { headers: admin() });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { personal_tokens: Record<string, unknown>[]; total: number };
    expect(body.personal_tokens.every((t) => t.username === "alice")).toBe(true);
    expect(body.total).toBe(body.personal_tokens.length);
    expect(body.personal_tokens[0]).toMatchObject({
      username: "alice",
      name: "alice-ci",
      status: "active",
      servers: null,
    });
    expect(JSON.stringify(body)).not.toContain(token);
    const id = body.personal_tokens[0]?.id as string;

    const userToken = (await jsonLogin("alice")) as string;
    const forbidden = await gateway.request(`/admin/api/personal-tokens/${id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${userToken}` },
    });
    expect(forbidden.status).toBe(403);
    expect(await initializeStatus(url("granted"), token)).toBe(200);

    // An admin's browser session needs the CSRF token for it.
    const session = await browserUser(gateway, "root");
    const noCsrf = await gateway.request(`/admin/api/personal-tokens/${id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: gateway.url },
    });
    expect(noCsrf.status).toBe(403);
    expect(await initializeStatus(url("granted"), token)).toBe(200);

    const revoked = await gateway.request(`/admin/api/personal-tokens/${id}`, {
      method: "DELETE",
      headers: admin(),
    });
    expect(revoked.status).toBe(204);
    expect(await initializeStatus(url("granted"), token)).toBe(401);
    const again = await gateway.request(`/admin/api/personal-tokens/${id}`, {
      method: "DELETE",
      headers: admin(),
    });
    expect(again.status).toBe(404);
    const after = (await (
      await gateway.request("/admin/api/personal-tokens", { headers: admin() })
    ).json()) as { personal_tokens: { id: string; status: string }[] };
    expect(after.personal_tokens.find((t) => t.id === id)?.status).toBe("revoked");
    const event = events.find((e) => e.type === "token_revoked");
    expect(event?.details.by).toBe(setup.admin.id);
  });

  test("the owner's MCP rate limit counts a token's requests like their OAuth tokens", async () => {
    const jar = await signedIn();
    const token = (await createToken(jar, { name: "limited", scope: "all", expires_in_days: "7" }))
      .secret as string;
    const limit = `/admin/api/users/${setup.user.id}/rate-limit`;
    const put = await gateway.request(limit, {
      ...jsonInit({ max: 2, window_seconds: 3600 }, { headers: admin() }),
      method: "PUT",
    });
    expect(put.status).toBe(200);
    expect(await initializeStatus(url("granted"), token)).toBe(200);
    expect(await initializeStatus(url("granted"), token)).toBe(200);
    expect(await initializeStatus(url("granted"), token)).toBe(429);
    const removed = await gateway.request(limit, { method: "DELETE", headers: admin() });
    expect(removed.status).toBe(200);
  });

  test("tokens survive a restart (loaded from the hashes), revoked ones stay refused", async () => {
    const jar = await signedIn();
    const kept = (await createToken(jar, { name: "kept", scope: "all", expires_in_days: "7" }))
      .secret as string;
    const gone = (await createToken(jar, { name: "gone", scope: "all", expires_in_days: "7" }))
      .secret as string;
    const goneId = gateway.ctx.personalTokens.listForUser(setup.user.id).find((t) => t.name === "gone")?.id;
    gateway.ctx.personalTokens.revoke(goneId as string);
    const { PersonalTokenStore } = await import("../../src/portal/personal-tokens.ts");
    const reloaded = new PersonalTokenStore(gateway.ctx.db, gateway.clock);
    expect(reloaded.find(kept)?.name).toBe("kept");
    expect(reloaded.find(gone)).toBeUndefined();
  });

  // These two change the clock and the gateway: last.
  test("an expired token is refused; the expiry follows the clock", async () => {
    const jar = await signedIn();
    const token = (await createToken(jar, { name: "short", scope: "all", expires_in_days: "7" }))
      .secret as string;
    expect(await initializeStatus(url("granted"), token)).toBe(200);
    gateway.clock.advance(7 * 86_400_000 + 1000);
    expect(await initializeStatus(url("granted"), token)).toBe(401);
  });

  test("limits: at most PERSONAL_TOKEN_MAX_PER_USER live tokens, no lifetime above PERSONAL_TOKEN_MAX_LIFETIME_DAYS", async () => {
    await stage.close();
    stage = await gatewayWithUsers({
      PERSONAL_TOKEN_MAX_PER_USER: "2",
      PERSONAL_TOKEN_MAX_LIFETIME_DAYS: "30",
    });
    ({ gateway, setup } = stage);
    await twoServers();
    const jar = await signedIn();
    const tooLong = await createToken(jar, { name: "long", scope: "all", expires_in_days: "90" });
    expect(tooLong.status).toBe(400);
    expect(tooLong.html).toContain("Expiry: at most 30 days.");
    const never = await createToken(jar, { name: "never", scope: "all", expires_in_days: "0" });
    expect(never.status).toBe(400);
    // The form offers nothing longer than the maximum.
    expect(tooLong.html).not.toContain('value="90"');
    expect((await createToken(jar, { name: "a", scope: "all", expires_in_days: "30" })).status).toBe(201);
    expect((await createToken(jar, { name: "b", scope: "all", expires_in_days: "30" })).status).toBe(201);
    const third = await createToken(jar, { name: "c", scope: "all", expires_in_days: "30" });
    expect(third.status).toBe(409);
    expect(third.html).toContain("the most allowed");
    expect(gateway.ctx.personalTokens.listForUser(setup.user.id)).toHaveLength(2);
  });
});

async function jsonLogin(username: string): Promise<string> {
  const response = await gateway.request("/auth/login", jsonInit({ username, password: STRONG_PASSWORD }));
  return ((await response.json()) as { access_token: string }).access_token;
}
