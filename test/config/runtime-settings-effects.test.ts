import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  tokenFor,
} from "../gateway/helpers.ts";
import { jsonInit, login } from "../support/context.ts";
import {
  browserUser,
  exchangeCode,
  form,
  obtainCode,
  pkcePair,
  registerClient,
} from "../support/oauth-helpers.ts";

/*
 * The runtime settings not covered by runtime-settings.test.ts, each changed with
 * PATCH /admin/api/settings and seen on the next request: the MCP rate limit, the authorization
 * code lifetime, the password policy, retention, personal access tokens, the live activity rows.
 */

let stage: GatewayWithUsers;
let adminToken: string;
const patch = (body: Record<string, unknown>) =>
  stage.gateway.request("/admin/api/settings", {
    method: "PATCH",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
/** The admin's token again (after the fake clock moved past the old one's expiry). */
const signInAgain = async () => {
  adminToken = (await login(stage.gateway, "root")).access_token;
};

beforeAll(async () => {
  stage = await gatewayWithUsers({ RATE_LIMIT_MCP_MAX: "", RATE_LIMIT_REGISTER_MAX: "" });
  adminToken = stage.setup.adminToken;
  // Not asserted here (a failing hook hides every test's own result); the password tests need it.
  await patch({ rateLimitRegisterMax: 100000, allowRegistration: true });
});
afterAll(() => stage.close());

describe("runtime settings apply from the next request", () => {
  test("rateLimitMcpMax and rateLimitMcpWindow: the next MCP request over the new limit gets 429", async () => {
    const g = stage.gateway;
    await createServer(g, adminToken, { name: "echo", url: stage.backend.url, open_to_all: true });
    const token = await tokenFor(g, "alice", "echo");
    const call = (id: number) =>
      postMessage(`${g.url}/mcp/echo`, { ...INITIALIZE, id }, { authorization: `Bearer ${token}` });
    expect((await patch({ rateLimitMcpMax: 2, rateLimitMcpWindow: 45 })).status).toBe(200);
    for (const id of [1, 2]) {
      const allowed = await call(id);
      expect(allowed.status).toBe(200);
      await allowed.body?.cancel();
    }
    const refused = await call(3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"mcp";q=2;w=45');
    await refused.body?.cancel();
    expect((await patch({ rateLimitMcpMax: 3 })).status).toBe(200);
    const again = await call(4);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  test("authorizationCodeTtlSeconds: a code issued after the change expires sooner", async () => {
    const g = stage.gateway;
    const client = await registerClient(g);
    const session = await browserUser(g, "alice");
    const codeAfter = async (seconds: number) => {
      const pkce = await pkcePair();
      const { code } = await obtainCode(g, session, {
        client_id: client.client_id,
        code_challenge: pkce.challenge,
      });
      g.clock.advance(seconds * 1000);
      return exchangeCode(g, client.client_id, code, pkce.verifier);
    };
    expect((await codeAfter(20)).status).toBe(200);
    expect((await patch({ authorizationCodeTtlSeconds: 15 })).status).toBe(200);
    const expired = await codeAfter(20);
    expect(expired.status).toBe(400);
    expect(((await expired.json()) as { error: string }).error).toBe("invalid_grant");
    await signInAgain();
    expect((await patch({ authorizationCodeTtlSeconds: null })).status).toBe(200);
  });

  const register = (username: string, password: string) =>
    stage.gateway.request(
      "/auth/register",
      jsonInit({ username, email: `${username}@example.test`, password }),
    );
  /** Each password rule: a change, and a password whose fate the change turns around. */
  const PASSWORD_RULES: [key: string, value: unknown, password: string, nowAccepted: boolean][] = [
    ["passwordMinLength", 12, "Abcdef-1234", false],
    ["passwordRequireUppercase", false, "lower-case-9x", true],
    ["passwordRequireLowercase", false, "UPPER-CASE-9X", true],
    ["passwordRequireDigit", false, "No-Digits-Here", true],
    ["passwordRequireSpecial", false, "NoSpecial9Here", true],
    ["passwordPassphraseMinLength", 12, "quietriverbnd", true],
  ];
  let n = 0;
  for (const [key, value, password, nowAccepted] of PASSWORD_RULES) {
    test(`${key}: the next registration follows the new rule`, async () => {
      const accepted = (status: number) => status === 201 || status === 202;
      n += 1;
      expect(accepted((await register(`before${n}`, password)).status)).toBe(!nowAccepted);
      expect((await patch({ [key]: value })).status).toBe(200);
      const after = await register(`after${n}`, password);
      expect(accepted(after.status)).toBe(nowAccepted);
      if (!nowAccepted) expect(after.status).toBe(400);
      expect((await patch({ [key]: null })).status).toBe(200);
    });
  }

  test("activityRetentionDays and securityEventRetentionDays: the next cleanup deletes by the new age", async () => {
    const g = stage.gateway;
    const retention = g.app.decorator.activity.retention;
    g.ctx.securityEvents.record({ type: "login_failure", details: { marker: "old-event" } });
    g.ctx.securityLog.flush();
    g.clock.advance(3 * 86_400_000);
    await signInAgain();
    const first = retention.run();
    expect(first.securityEventsDeleted).toBe(0);
    expect(g.clock.now() - first.activityBefore).toBe(30 * 86_400_000);
    expect((await patch({ activityRetentionDays: 2, securityEventRetentionDays: 2 })).status).toBe(200);
    const second = retention.run();
    expect(g.clock.now() - second.activityBefore).toBe(2 * 86_400_000);
    expect(g.clock.now() - second.securityEventsBefore).toBe(2 * 86_400_000);
    expect(second.securityEventsDeleted).toBeGreaterThan(0);
    expect(JSON.stringify(g.ctx.securityLog.page({}, 1000, 0).rows)).not.toContain("old-event");
  });

  test("personalTokenMaxPerUser and personalTokenMaxLifetimeDays: the next token the portal creates", async () => {
    const g = stage.gateway;
    const session = await browserUser(g, "mallory");
    const create = (name: string, days: string) =>
      g.request(
        "/portal/tokens",
        form(
          { _csrf: session.csrf, name, scope: "all", expires_in_days: days },
          { cookie: session.cookie, origin: g.ctx.config.publicUrl },
        ),
      );
    expect((await patch({ personalTokenMaxLifetimeDays: 7 })).status).toBe(200);
    const tooLong = await create("ci", "30");
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain("at most 7 days");
    expect((await create("ci", "7")).status).toBe(201);
    expect((await patch({ personalTokenMaxPerUser: 1 })).status).toBe(200);
    expect((await create("second", "7")).status).toBe(409);
    expect((await patch({ personalTokenMaxPerUser: 2, personalTokenMaxLifetimeDays: 30 })).status).toBe(200);
    expect((await create("second", "30")).status).toBe(201);
  });

  test("adminLiveActivityRows: the next live activity page keeps the new number of rows", async () => {
    const g = stage.gateway;
    const session = await browserUser(g, "root");
    const page = async () =>
      (await g.request("/admin/activity", { headers: { cookie: session.cookie } })).text();
    expect(await page()).toContain('data-max-rows="200"');
    expect((await patch({ adminLiveActivityRows: 25 })).status).toBe(200);
    expect(await page()).toContain('data-max-rows="25"');
  });
});
