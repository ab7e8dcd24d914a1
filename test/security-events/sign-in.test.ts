import { afterEach, describe, expect, test } from "bun:test";
import { ADMIN, browserLogin, completeSetup, formToken, Jar, postForm, readSetupCode } from "../admin/web.ts";
import { createUser, jsonInit, STRONG_PASSWORD, type TestGateway } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { expectNoSecrets, only, overHttp, stored } from "./helpers.ts";

let listening: ListeningGateway | undefined;
afterEach(async () => {
  await listening?.close();
  listening = undefined;
});

async function open(env: Record<string, string> = {}): Promise<TestGateway> {
  listening = await listeningGateway(env);
  return overHttp(listening);
}

const UA = { "user-agent": "security-test/1.0" };
const WRONG = "Wrong-Password-77";

describe("sign-in events", () => {
  test("browser /login: success and failure, by account, with address and user agent, no password", async () => {
    const gw = await open();
    const alice = await createUser(gw, "alice");
    const failed = await browserLogin(gw, new Jar(), "alice", WRONG);
    expect(failed.response.status).toBe(401);
    const jar = new Jar();
    const ok = await browserLogin(gw, jar, "alice", STRONG_PASSWORD);
    expect(ok.response.status).toBe(303);
    expect(only(gw, "login_failure")).toMatchObject({
      userId: alice.id,
      ip: "127.0.0.1",
      severity: "low",
      details: { via: "/login", reason: "invalid_credentials" },
    });
    const success = only(gw, "login_success");
    expect(success).toMatchObject({ userId: alice.id, ip: "127.0.0.1", details: { via: "/login" } });
    const cookie = [...jar.cookies.values()].join(";");
    expectNoSecrets(gw, [STRONG_PASSWORD, WRONG, ...cookie.split(";")]);
  });

  test("JSON /auth/login: success, failure and an unknown name; the typed name is never stored", async () => {
    const gw = await open();
    const alice = await createUser(gw, "alice");
    const post = (username: string, password: string) =>
      gw.request("/auth/login", jsonInit({ username, password }, { headers: UA }));
    expect((await post("alice", WRONG)).status).toBe(401);
    expect((await post("nobody-by-this-name", WRONG)).status).toBe(401);
    const ok = await post("alice", STRONG_PASSWORD);
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { access_token: string; refresh_token: string };
    expect(stored(gw, "login_failure").map((e) => [e.userId, e.ip, e.userAgent, e.details])).toEqual([
      [alice.id, "127.0.0.1", "security-test/1.0", { via: "/auth/login", reason: "invalid_credentials" }],
      [null, "127.0.0.1", "security-test/1.0", { via: "/auth/login", reason: "invalid_credentials" }],
    ]);
    expect(only(gw, "login_success")).toMatchObject({ userId: alice.id, userAgent: "security-test/1.0" });
    expectNoSecrets(gw, [
      STRONG_PASSWORD,
      WRONG,
      "nobody-by-this-name",
      tokens.access_token,
      tokens.refresh_token,
    ]);
  });

  test("lockout: the failure that locks records account_locked, later attempts record why they failed", async () => {
    const gw = await open({ LOGIN_LOCKOUT_THRESHOLD: "3", LOGIN_LOCKOUT_SECONDS: "60" });
    const alice = await createUser(gw, "alice");
    for (let i = 0; i < 3; i++)
      await gw.request("/auth/login", jsonInit({ username: "alice", password: WRONG }));
    const locked = await gw.request(
      "/auth/login",
      jsonInit({ username: "alice", password: STRONG_PASSWORD }),
    );
    expect(locked.status).toBe(429);
    expect(only(gw, "account_locked")).toMatchObject({
      userId: alice.id,
      ip: "127.0.0.1",
      severity: "medium",
      details: { via: "/auth/login", lockSeconds: 60 },
    });
    // The second and third identical failures from this address are counted, not stored (yet).
    const failures = stored(gw, "login_failure");
    expect(failures.map((e) => e.details.reason)).toEqual(["invalid_credentials", "locked"]);
    expect(stored(gw, "login_success")).toEqual([]);
    expectNoSecrets(gw, [STRONG_PASSWORD, WRONG]);
  });

  test("registration through /auth/register records the new account, not its password or email", async () => {
    const gw = await open({ ALLOW_REGISTRATION: "true" });
    const password = "Registered-Pass-42";
    const response = await gw.request(
      "/auth/register",
      jsonInit({ username: "newcomer", email: "newcomer@example.test", password }, { headers: UA }),
    );
    expect(response.status).toBe(202);
    const user = gw.ctx.users.byUsername("newcomer");
    expect(only(gw, "user_registered")).toMatchObject({
      userId: user?.id,
      ip: "127.0.0.1",
      userAgent: "security-test/1.0",
      details: { via: "/auth/register" },
    });
    // A taken name answers the same and records no registration.
    await gw.request("/auth/register", jsonInit({ username: "newcomer", email: "x@example.test", password }));
    expect(stored(gw, "user_registered")).toHaveLength(1);
    expectNoSecrets(gw, [password, "newcomer@example.test"]);
  });

  test("the setup wizard: a wrong setup code is a failed sign-in, the first admin a registration", async () => {
    const gw = await open();
    const jar = new Jar();
    const token = await formToken(gw, jar, "/setup");
    const setupCode = readSetupCode(gw);
    const wrong = await postForm(gw, jar, "/setup", {
      _csrf: token,
      setup_code: "WRONG-CODE-123",
      username: ADMIN.username,
      email: ADMIN.email,
      password: ADMIN.password,
      password_confirm: ADMIN.password,
    });
    expect(wrong.response.status).toBe(400);
    expect(only(gw, "login_failure")).toMatchObject({
      userId: null,
      ip: "127.0.0.1",
      severity: "medium",
      details: { via: "/setup", reason: "wrong_setup_code" },
    });
    await completeSetup(gw, new Jar());
    const admin = gw.ctx.users.byUsername(ADMIN.username);
    expect(only(gw, "user_registered")).toMatchObject({
      userId: admin?.id,
      ip: "127.0.0.1",
      details: { via: "/setup", isAdmin: true },
    });
    expectNoSecrets(gw, [ADMIN.password, setupCode, "WRONG-CODE-123"]);
  });

  test("a per-IP rate limit hit is recorded with the limit and path", async () => {
    const gw = await open({ RATE_LIMIT_LOGIN_MAX: "1" });
    await createUser(gw, "alice");
    const post = () => gw.request("/auth/login", jsonInit({ username: "alice", password: STRONG_PASSWORD }));
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
    expect(only(gw, "rate_limited")).toMatchObject({
      ip: "127.0.0.1",
      severity: "low",
      details: { limit: "login", path: "/auth/login" },
    });
    expectNoSecrets(gw, [STRONG_PASSWORD]);
  });

  test("the browser /login limit is recorded too", async () => {
    const gw = await open({ RATE_LIMIT_LOGIN_MAX: "1" });
    await createUser(gw, "alice");
    await browserLogin(gw, new Jar(), "alice", WRONG);
    const refused = await browserLogin(gw, new Jar(), "alice", STRONG_PASSWORD);
    expect(refused.response.status).toBe(429);
    expect(only(gw, "rate_limited").details).toEqual({ limit: "login", path: "/login" });
  });
});
