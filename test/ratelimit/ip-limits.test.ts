import { afterEach, describe, expect, test } from "bun:test";
import { formToken, Jar, postForm, readSetupCode } from "../admin/web.ts";
import { createUser, jsonInit, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { browserUser, form, REDIRECT } from "../support/oauth-helpers.ts";

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function start(env: Record<string, string>): Promise<TestGateway> {
  gateway = await testGateway(env);
  return gateway;
}

/** The draft-10 fields and Retry-After of a 429. */
function expectLimitHeaders(response: Response, policy: string, max: number, window: number) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(2 * window);
  expect(response.headers.get("ratelimit-policy")).toBe(`"${policy}";q=${max};w=${window}`);
  expect(response.headers.get("ratelimit")).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
}

/** Calls `send` max times (all let through), then once more: the 429. */
async function overTheLimit(max: number, send: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < max; i++) {
    const response = await send();
    expect(response.status).not.toBe(429);
    if (!response.bodyUsed) await response.body?.cancel();
  }
  const refused = await send();
  expect(refused.status).toBe(429);
  return refused;
}

async function passesLater(g: TestGateway, window: number, send: () => Promise<Response>) {
  // Just before the sliding window lets the next one through it is still refused…
  g.clock.advance(window * 1000);
  expect((await send()).status).toBe(429);
  // …and once the first window has slid out entirely it passes.
  g.clock.advance(window * 1000);
  expect((await send()).status).not.toBe(429);
}

describe("per client IP, the N+1th request in the window gets 429 with the headers", () => {
  test("POST /auth/login: RATE_LIMIT_LOGIN_MAX / RATE_LIMIT_LOGIN_WINDOW, the JSON error shape", async () => {
    const g = await start({ RATE_LIMIT_LOGIN_MAX: "3", RATE_LIMIT_LOGIN_WINDOW: "30" });
    const send = () => g.request("/auth/login", jsonInit({ username: "nobody", password: "Wrong-Pass-1" }));
    const refused = await overTheLimit(3, send);
    expectLimitHeaders(refused, "login", 3, 30);
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe("rate_limited");
    expect(body.error_description).toContain(`try again in ${refused.headers.get("retry-after")} s`);
    await passesLater(g, 30, send);
  });

  test("POST /auth/register: RATE_LIMIT_REGISTER_MAX / RATE_LIMIT_REGISTER_WINDOW", async () => {
    const g = await start({
      ALLOW_REGISTRATION: "true",
      RATE_LIMIT_REGISTER_MAX: "2",
      RATE_LIMIT_REGISTER_WINDOW: "600",
    });
    let n = 0;
    const send = () =>
      g.request(
        "/auth/register",
        jsonInit({ username: `user${++n}`, email: `u${n}@example.test`, password: STRONG_PASSWORD }),
      );
    const refused = await overTheLimit(2, send);
    expectLimitHeaders(refused, "register", 2, 600);
    expect(((await refused.json()) as { error: string }).error).toBe("rate_limited");
    // The refused registration created nothing.
    expect(g.ctx.users.list().map((u) => u.username)).toEqual(["user1", "user2"]);
    await passesLater(g, 600, send);
  });

  test("POST /oauth/token and /auth/refresh: RATE_LIMIT_TOKEN_MAX / RATE_LIMIT_TOKEN_WINDOW, OAuth error JSON", async () => {
    const g = await start({ RATE_LIMIT_TOKEN_MAX: "2", RATE_LIMIT_TOKEN_WINDOW: "20" });
    const token = () =>
      g.request("/oauth/token", form({ grant_type: "client_credentials", client_id: "nope" }));
    const refused = await overTheLimit(2, token);
    expectLimitHeaders(refused, "token", 2, 20);
    expect(((await refused.json()) as { error: string }).error).toBe("too_many_requests");
    // A browser client may read the headers of the answer (CORS).
    expect(refused.headers.get("access-control-expose-headers")).toContain("RateLimit");
    // /auth/refresh counts against the same limit.
    const refresh = await g.request("/auth/refresh", jsonInit({ refresh_token: "x".repeat(40) }));
    expectLimitHeaders(refresh, "token", 2, 20);
    await passesLater(g, 20, token);
  });

  test("POST /oauth/register: RATE_LIMIT_CLIENT_REGISTRATION_MAX / _WINDOW", async () => {
    const g = await start({
      RATE_LIMIT_CLIENT_REGISTRATION_MAX: "2",
      RATE_LIMIT_CLIENT_REGISTRATION_WINDOW: "45",
    });
    const send = () =>
      g.request(
        "/oauth/register",
        jsonInit({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
      );
    const refused = await overTheLimit(2, send);
    expectLimitHeaders(refused, "client_registration", 2, 45);
    expect(((await refused.json()) as { error: string }).error).toBe("too_many_requests");
    await passesLater(g, 45, send);
  });

  test("POST /oauth/authorize (consent): RATE_LIMIT_AUTHORIZE_MAX / _WINDOW, an HTML page", async () => {
    const g = await start({ RATE_LIMIT_AUTHORIZE_MAX: "2", RATE_LIMIT_AUTHORIZE_WINDOW: "90" });
    const session = await browserUser(g);
    const send = () =>
      g.request(
        "/oauth/authorize",
        form(
          { _csrf: session.csrf, decision: "approve", client_id: "unknown" },
          { cookie: session.cookie, origin: g.ctx.config.publicUrl },
        ),
      );
    const refused = await overTheLimit(2, send);
    expectLimitHeaders(refused, "authorize", 2, 90);
    expect(refused.headers.get("content-type")).toContain("text/html");
    expect(await refused.text()).toContain("Too many attempts from your address");
    await passesLater(g, 90, send);
  });

  test("POST /login: the sign-in form again with the message, under the login limit", async () => {
    const g = await start({ RATE_LIMIT_LOGIN_MAX: "2", RATE_LIMIT_LOGIN_WINDOW: "60" });
    await createUser(g, "alice");
    const jar = new Jar();
    const token = await formToken(g, jar, "/login");
    const send = async () =>
      (await postForm(g, jar, "/login", { _csrf: token, username: "alice", password: "Wrong-Horse-1" }))
        .response;
    await overTheLimit(2, send);
    const { response, html } = await postForm(g, jar, "/login", {
      _csrf: token,
      username: "alice",
      password: STRONG_PASSWORD,
    });
    expectLimitHeaders(response, "login", 2, 60);
    expect(html).toContain('name="password"');
    expect(html).toContain("Too many attempts from your address. Try again in");
    expect(html).toContain('value="alice"');
  });

  test("POST /setup: the setup form again with the message, even with the right code", async () => {
    const g = await start({ RATE_LIMIT_LOGIN_MAX: "1", RATE_LIMIT_LOGIN_WINDOW: "60" });
    const fields = (code: string) => ({
      setup_code: code,
      username: "root",
      email: "root@example.test",
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    const jar = new Jar();
    const token = await formToken(g, jar, "/setup");
    expect((await postForm(g, jar, "/setup", { _csrf: token, ...fields("WRONG") })).response.status).toBe(
      400,
    );
    const { response, html } = await postForm(g, jar, "/setup", {
      _csrf: token,
      ...fields(readSetupCode(g)),
    });
    expectLimitHeaders(response, "login", 1, 60);
    expect(html).toContain('name="setup_code"');
    expect(html).toContain("Too many attempts from your address");
    expect(g.ctx.users.hasAdmin()).toBe(false);
  });
});

describe("sliding window", () => {
  test("no double burst across the window edge; Retry-After says when the next one fits", async () => {
    const g = await start({ RATE_LIMIT_TOKEN_MAX: "3", RATE_LIMIT_TOKEN_WINDOW: "60" });
    const send = () =>
      g.request("/oauth/token", form({ grant_type: "client_credentials", client_id: "nope" }));
    // The fake clock starts on a minute: three requests late in the first window.
    g.clock.advance(50_000);
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(401); // unknown client, but counted
    // 15 s later a fixed window would have started afresh (3 more allowed: 6 in 15 s).
    g.clock.advance(15_000);
    const refused = await send();
    expect(refused.status).toBe(429);
    // 3 · (1 − e/60) ≤ 2 once e ≥ 20 s into the new window: 15 s from now.
    expect(refused.headers.get("retry-after")).toBe("15");
    g.clock.advance(14_000);
    expect((await send()).status).toBe(429);
    g.clock.advance(1_000);
    expect((await send()).status).toBe(401);
    expect((await send()).status).toBe(429);
  });
});

describe("RATE_LIMIT_ENABLED=false", () => {
  test("turns every per-IP limit off", async () => {
    const g = await start({
      RATE_LIMIT_ENABLED: "false",
      ALLOW_REGISTRATION: "true",
      RATE_LIMIT_LOGIN_MAX: "1",
      RATE_LIMIT_TOKEN_MAX: "1",
      RATE_LIMIT_CLIENT_REGISTRATION_MAX: "1",
      RATE_LIMIT_REGISTER_MAX: "1",
      RATE_LIMIT_AUTHORIZE_MAX: "1",
      LOGIN_LOCKOUT_THRESHOLD: "0",
    });
    const session = await browserUser(g);
    for (let i = 0; i < 3; i++) {
      const statuses = [
        (await g.request("/auth/login", jsonInit({ username: "nobody", password: "x" }))).status,
        (await g.request("/oauth/token", form({ grant_type: "client_credentials" }))).status,
        (
          await g.request(
            "/oauth/register",
            jsonInit({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
          )
        ).status,
        (
          await g.request(
            "/auth/register",
            jsonInit({ username: `u${i}x`, email: `u${i}@example.test`, password: STRONG_PASSWORD }),
          )
        ).status,
        (
          await g.request(
            "/oauth/authorize",
            form(
              { _csrf: session.csrf, client_id: "x" },
              { cookie: session.cookie, origin: g.ctx.config.publicUrl },
            ),
          )
        ).status,
      ];
      expect(statuses).not.toContain(429);
    }
  });
});
