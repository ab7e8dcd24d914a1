import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type TestGateway, testGateway } from "../support/context.ts";
import {
  ADMIN,
  adminCount,
  browserLogin,
  completeSetup,
  formToken,
  getPage,
  hiddenValue,
  Jar,
  postForm,
  readSetupCode,
} from "./web.ts";

let gateway: TestGateway;
beforeEach(async () => {
  gateway = await testGateway();
});
afterEach(async () => {
  await gateway.close();
});

const FOREIGN = { origin: "http://evil.example" };

describe("pre-login forms (double-submit token + Origin)", () => {
  const setupFields = {
    username: ADMIN.username,
    email: ADMIN.email,
    password: ADMIN.password,
    password_confirm: ADMIN.password,
  };

  const cases: [string, (jar: Jar, token: string) => [Record<string, string>, Record<string, string>]][] = [
    ["missing token", () => [{}, {}]],
    ["wrong token", (_jar, token) => [{ _csrf: flip(token) }, {}]],
    [
      "token without its cookie",
      (jar, token) => {
        jar.cookies.delete("authmcp_csrf");
        return [{ _csrf: token }, {}];
      },
    ],
    ["foreign Origin", (_jar, token) => [{ _csrf: token }, FOREIGN]],
    [
      "cross-site fetch without Origin",
      (_jar, token) => [{ _csrf: token }, { origin: "", "sec-fetch-site": "cross-site" }],
    ],
  ];

  for (const [name, make] of cases) {
    test(`setup: ${name} → 403, no user created`, async () => {
      const jar = new Jar();
      const token = await formToken(gateway, jar, "/setup");
      const [fields, headers] = make(jar, token);
      const { response, html } = await postFormRaw(
        gateway,
        jar,
        "/setup",
        { ...setupFields, setup_code: readSetupCode(gateway), ...fields },
        headers,
      );
      expect(response.status).toBe(403);
      expect(html).toContain("Request refused");
      expect(response.headers.getSetCookie().some((c) => c.includes("session"))).toBe(false);
      expect(gateway.ctx.users.list()).toHaveLength(0);
      expect(adminCount(gateway)).toBe(0);
    });

    test(`login: ${name} → 403, no session`, async () => {
      await completeSetup(gateway, new Jar());
      const jar = new Jar();
      const token = await formToken(gateway, jar, "/login");
      const [fields, headers] = make(jar, token);
      const { response } = await postFormRaw(
        gateway,
        jar,
        "/login",
        { username: ADMIN.username, password: ADMIN.password, return_to: "/admin/", ...fields },
        headers,
      );
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie().some((c) => c.includes("session"))).toBe(false);
      expect(gateway.ctx.users.byId(gateway.ctx.users.list()[0]?.id as string)?.lastLoginAt).toBeNull();
    });
  }

  test("a token from one browser does not work with another browser's cookie", async () => {
    const a = new Jar();
    const b = new Jar();
    const tokenA = await formToken(gateway, a, "/setup");
    await formToken(gateway, b, "/setup");
    const { response } = await postForm(gateway, b, "/setup", {
      _csrf: tokenA,
      setup_code: readSetupCode(gateway),
      username: ADMIN.username,
      email: ADMIN.email,
      password: ADMIN.password,
      password_confirm: ADMIN.password,
    });
    expect(response.status).toBe(403);
    expect(gateway.ctx.users.list()).toHaveLength(0);
  });
});

describe("logout (session CSRF token)", () => {
  async function loggedIn() {
    await completeSetup(gateway, new Jar());
    const jar = new Jar();
    await browserLogin(gateway, jar, ADMIN.username, ADMIN.password);
    const { html } = await getPage(gateway, jar, "/admin/");
    return {
      jar,
      csrf: hiddenValue(html, "_csrf") as string,
      session: jar.cookies.get("authmcp_session") as string,
    };
  }

  const attempts: [string, (csrf: string) => [Record<string, string>, Record<string, string>]][] = [
    ["missing token", () => [{}, {}]],
    ["wrong token", () => [{ _csrf: "x".repeat(43) }, {}]],
    ["foreign Origin", (csrf) => [{ _csrf: csrf }, FOREIGN]],
  ];
  for (const [name, make] of attempts) {
    test(`${name} → 403, the session lives on`, async () => {
      const { jar, csrf, session } = await loggedIn();
      const [fields, headers] = make(csrf);
      const { response } = await postForm(gateway, jar, "/logout", fields, headers);
      expect(response.status).toBe(403);
      expect(gateway.ctx.browserSessions.resolve(session)).toBeDefined();
      expect((await getPage(gateway, jar, "/admin/")).response.status).toBe(200);
    });
  }

  test("the pre-login cookie token is not accepted as a session token", async () => {
    const { jar, session } = await loggedIn();
    const { response } = await postForm(gateway, jar, "/logout", {
      _csrf: jar.cookies.get("authmcp_csrf") as string,
    });
    expect(response.status).toBe(403);
    expect(gateway.ctx.browserSessions.resolve(session)).toBeDefined();
  });
});

/** postForm, but a header given as "" is left out (to send no Origin at all). */
function postFormRaw(
  gw: TestGateway,
  jar: Jar,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string>,
) {
  if (headers.origin !== "") return postForm(gw, jar, path, fields, headers);
  const { origin: _drop, ...rest } = headers;
  return gw
    .request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header(), ...rest },
      body: new URLSearchParams(fields).toString(),
    })
    .then(async (response) => ({ response: jar.take(response), html: await response.text() }));
}

/** The same token with its first character changed. */
function flip(token: string): string {
  return (token.startsWith("A") ? "B" : "A") + token.slice(1);
}
