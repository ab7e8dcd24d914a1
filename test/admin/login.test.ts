import { afterEach, describe, expect, test } from "bun:test";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { ADMIN, browserLogin, completeSetup, formToken, getPage, hiddenValue, Jar, postForm } from "./web.ts";

let gateway: TestGateway;
afterEach(async () => {
  await gateway.close();
});

async function setUp(env: Record<string, string> = {}) {
  gateway = await testGateway(env);
  await completeSetup(gateway, new Jar());
}

describe("login", () => {
  test("GET /login renders the form with return_to, _csrf and the CSRF cookie", async () => {
    await setUp();
    const jar = new Jar();
    const { response, html } = await getPage(
      gateway,
      jar,
      "/login?return_to=/oauth/authorize?client_id=abc%26state=x",
    );
    expect(response.status).toBe(200);
    expect(hiddenValue(html, "return_to")).toBe("/oauth/authorize?client_id=abc&amp;state=x");
    expect(hiddenValue(html, "_csrf")).toBe(jar.cookies.get("authmcp_csrf") as string);
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password"');
  });

  test("/admin/login leads to the login form for /admin/", async () => {
    await setUp();
    const response = await gateway.request("/admin/login");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login?return_to=/admin/");
  });

  test("right credentials: session cookie and 303 to return_to", async () => {
    await setUp();
    const jar = new Jar();
    const { response } = await browserLogin(
      gateway,
      jar,
      ADMIN.username,
      ADMIN.password,
      "/oauth/authorize?x=1",
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/oauth/authorize?x=1");
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("authmcp_session="));
    expect(cookie).toMatch(/^authmcp_session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const dashboard = await getPage(gateway, jar, "/admin/");
    expect(dashboard.response.status).toBe(200);
  });

  test("login by email works too", async () => {
    await setUp();
    const { response } = await browserLogin(gateway, new Jar(), ADMIN.email, ADMIN.password);
    expect(response.status).toBe(303);
  });

  test("wrong password and unknown user get the same 401 form, no session", async () => {
    await setUp();
    const wrong = await browserLogin(gateway, new Jar(), ADMIN.username, "Wrong-Horse-9");
    const unknown = await browserLogin(gateway, new Jar(), "nobody-here", ADMIN.password);
    for (const { response, html } of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(html).toContain("Invalid username or password.");
      expect(response.headers.getSetCookie().some((c) => c.includes("session"))).toBe(false);
    }
    const strip = (html: string) => html.replace(/value="[^"]*"/g, "");
    expect(strip(wrong.html)).toBe(strip(unknown.html));
  });

  test("an inactive user cannot log in", async () => {
    await setUp();
    const user = await createUser(gateway, "sleeper");
    gateway.ctx.users.update(user.id, { isActive: false });
    const { response } = await browserLogin(gateway, new Jar(), "sleeper", STRONG_PASSWORD);
    expect(response.status).toBe(401);
  });

  test("empty and oversized credentials are refused without a 500", async () => {
    await setUp();
    const empty = await browserLogin(gateway, new Jar(), "", "");
    expect(empty.response.status).toBe(400);
    const huge = await browserLogin(gateway, new Jar(), "x".repeat(5000), "y".repeat(5000));
    expect(huge.response.status).toBe(401);
    expect(huge.html).not.toContain("x".repeat(255));
  });

  test("a logged-in visitor of /login goes straight on to return_to", async () => {
    await setUp();
    const jar = new Jar();
    await browserLogin(gateway, jar, ADMIN.username, ADMIN.password);
    const { response } = await getPage(gateway, jar, "/login?return_to=/admin/");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/");
  });

  test("a planted session cookie is replaced at login (no session fixation)", async () => {
    await setUp();
    const attacker = new Jar();
    await browserLogin(gateway, attacker, ADMIN.username, ADMIN.password);
    const planted = attacker.cookies.get("authmcp_session") as string;
    const victim = new Jar();
    const token = await formToken(gateway, victim, "/login");
    victim.cookies.set("authmcp_session", planted);
    const { response } = await postForm(gateway, victim, "/login", {
      _csrf: token,
      username: ADMIN.username,
      password: ADMIN.password,
    });
    expect(response.status).toBe(303);
    expect(victim.cookies.get("authmcp_session")).not.toBe(planted);
    expect(gateway.ctx.browserSessions.resolve(planted)).toBeUndefined();
  });

  test("too many attempts from one address are refused with 429", async () => {
    gateway = await testGateway({ RATE_LIMIT_LOGIN_MAX: "3" });
    await createUser(gateway, "limited", { isAdmin: true });
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/login");
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { response } = await postForm(gateway, jar, "/login", {
        _csrf: token,
        username: "limited",
        password: "Wrong-Horse-9",
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // A sliding window: the first window's attempts still weigh until the end of the next one.
    gateway.clock.advance(120_000);
    const { response } = await postForm(gateway, jar, "/login", {
      _csrf: token,
      username: "limited",
      password: STRONG_PASSWORD,
    });
    expect(response.status).toBe(303);
  });
});

describe("return_to cannot redirect elsewhere", () => {
  const hostile = [
    "//evil.example",
    "//evil.example/admin/",
    "https://evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
  ];
  for (const returnTo of hostile) {
    test(`return_to=${JSON.stringify(returnTo)} → /`, async () => {
      await setUp();
      const jar = new Jar();
      const token = await formToken(gateway, jar, `/login?return_to=${encodeURIComponent(returnTo)}`);
      const { html } = await getPage(gateway, new Jar(), `/login?return_to=${encodeURIComponent(returnTo)}`);
      expect(hiddenValue(html, "return_to")).toBe("/");
      const { response } = await postForm(gateway, jar, "/login", {
        _csrf: token,
        return_to: returnTo,
        username: ADMIN.username,
        password: ADMIN.password,
      });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/");
    });
  }
});

describe("session cookie on https", () => {
  test("__Host- prefix and Secure when MCP_PUBLIC_URL is https", async () => {
    await setUp({ MCP_PUBLIC_URL: "https://gateway.example" });
    const jar = new Jar();
    const login = await getPage(gateway, jar, "/login");
    const csrfCookie = login.response.headers.get("set-cookie") as string;
    expect(csrfCookie).toMatch(
      /^__Host-authmcp_csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/,
    );
    const { response } = await postForm(gateway, jar, "/login", {
      _csrf: hiddenValue(login.html, "_csrf") as string,
      return_to: "/admin/",
      username: ADMIN.username,
      password: ADMIN.password,
    });
    expect(response.status).toBe(303);
    const session = response.headers.getSetCookie().find((c) => c.startsWith("__Host-authmcp_session="));
    expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    expect(session).not.toContain("Domain");
    expect((await getPage(gateway, jar, "/admin/")).response.status).toBe(200);
  });
});

describe("logout", () => {
  test("ends the session server-side and clears the cookie", async () => {
    await setUp();
    const jar = new Jar();
    await browserLogin(gateway, jar, ADMIN.username, ADMIN.password);
    const sessionValue = jar.cookies.get("authmcp_session") as string;
    const dashboard = await getPage(gateway, jar, "/admin/");
    const csrf = hiddenValue(dashboard.html, "_csrf") as string;
    const { response } = await postForm(gateway, jar, "/logout", { _csrf: csrf });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
    expect(response.headers.get("set-cookie")).toMatch(/^authmcp_session=; .*Max-Age=0/);
    expect(gateway.ctx.browserSessions.resolve(sessionValue)).toBeUndefined();
    // Replaying the old cookie gets nowhere.
    const replay = await gateway.request("/admin/", {
      headers: { cookie: `authmcp_session=${sessionValue}` },
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe("/login?return_to=/admin/");
  });
});

describe("dashboard access", () => {
  test("no session → login; non-admin → 403; admin → dashboard with endpoints", async () => {
    await setUp();
    const anonymous = await gateway.request("/admin/");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?return_to=/admin/");

    await createUser(gateway, "plain-user");
    const plain = new Jar();
    await browserLogin(gateway, plain, "plain-user", STRONG_PASSWORD);
    const forbidden = await getPage(gateway, plain, "/admin/");
    expect(forbidden.response.status).toBe(403);
    expect(forbidden.html).not.toContain("Dashboard");
    // `/` sends a person who is not an administrator to their portal.
    expect((await getPage(gateway, plain, "/")).response.headers.get("location")).toBe("/portal/");

    const admin = new Jar();
    await browserLogin(gateway, admin, ADMIN.username, ADMIN.password);
    expect((await getPage(gateway, admin, "/")).response.headers.get("location")).toBe("/admin/");
    const { response, html } = await getPage(gateway, admin, "/admin/");
    expect(response.status).toBe(200);
    const base = gateway.ctx.config.publicUrl;
    // No server yet: nothing advertises an MCP URL (there is no aggregated /mcp endpoint).
    expect(html).toContain("No MCP servers yet.");
    expect(html).not.toContain(`${base}/mcp`);
    expect(html).toContain(`${base}/.well-known/oauth-authorization-server`);
    expect(html).toContain('<div class="value">2</div><div class="label">users</div>');
    expect(html).toContain('action="/logout"');
    expect(html).toContain("hx-headers=");
  });
});
