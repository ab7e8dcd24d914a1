import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import {
  ADMIN,
  browserLogin,
  completeSetup,
  formToken,
  getPage,
  Jar,
  parseElements,
  postForm,
} from "./web.ts";

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let gateway: TestGateway;
let admin: Jar;
let plain: Jar;
beforeAll(async () => {
  gateway = await testGateway();
  admin = new Jar();
  await completeSetup(gateway, admin);
  await createUser(gateway, "plain-user");
  plain = new Jar();
  await browserLogin(gateway, plain, "plain-user", STRONG_PASSWORD);
});
afterAll(async () => {
  await gateway.close();
});

function expectPageHeaders(response: Response) {
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(response.headers.get("content-security-policy")).toBe(CSP);
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

function expectNoInlineCode(html: string) {
  for (const script of parseElements(html, "script")) expect(script.src).toStartWith("/static/");
  expect(parseElements(html, "style")).toHaveLength(0);
  expect(parseElements(html, "[style]")).toHaveLength(0);
  expect(html).not.toMatch(/\son[a-z]+=/i);
  expect(html).not.toContain("hx-on");
  expect(html).not.toMatch(/https?:\/\/(?!localhost)/); // no CDN, no external font
}

describe("every HTML page", () => {
  const pages: [string, () => Jar, number][] = [
    ["/login", () => new Jar(), 200],
    ["/setup", () => new Jar(), 404],
    ["/admin/", () => admin, 200],
    ["/admin/", () => plain, 403],
  ];
  for (const [path, jar, status] of pages) {
    test(`${path} (${status}) carries the security headers and no inline code`, async () => {
      const { response, html } = await getPage(gateway, jar(), path);
      expect(response.status).toBe(status);
      expectPageHeaders(response);
      expectNoInlineCode(html);
    });
  }

  test("the CSRF refusal page and a 401 login page too", async () => {
    const refused = await postForm(gateway, new Jar(), "/login", { username: "x", password: "y" });
    expect(refused.response.status).toBe(403);
    expectPageHeaders(refused.response);
    const failed = await browserLogin(gateway, new Jar(), ADMIN.username, "Wrong-Horse-9");
    expect(failed.response.status).toBe(401);
    expectPageHeaders(failed.response);
    expectNoInlineCode(failed.html);
  });
});

describe("static files", () => {
  test("CSS, app script and htmx with their types", async () => {
    const css = await gateway.request("/static/app.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("cache-control")).toBe("public, max-age=300");
    expect(await css.text()).toContain(".card");

    const js = await gateway.request("/static/app.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain("includeIndicatorStyles = false");

    const htmx = await gateway.request("/static/htmx.min.js");
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(htmx.headers.get("cache-control")).toBe("public, max-age=300");
    expect(await htmx.text()).toContain('version:"2.0.11"');
  });

  test("the versioned htmx URL the layout uses is cached for a year", async () => {
    const { html } = await getPage(gateway, new Jar(), "/login");
    const src = parseElements(html, "script")[0]?.src as string;
    expect(src).toBe("/static/htmx.min.js?v=2.0.11");
    const response = await gateway.request(src);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const stale = await gateway.request("/static/htmx.min.js?v=1.0.0");
    expect(stale.headers.get("cache-control")).toBe("public, max-age=300");
  });

  for (const path of [
    "/static/",
    "/static/nope.css",
    "/static/app.d.ts",
    "/static/..%2fpackage.json",
    "/static/%2e%2e%2fpackage.json",
    "/static/..%5cpackage.json",
    "/static/app.css%00",
    "/static/APP.CSS",
    "/static/sub/app.css",
  ]) {
    test(`${path} is a 404`, async () => {
      const response = await gateway.request(path);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('"name": "authmcp-gateway"');
    });
  }
});

describe("hostile and oversized input", () => {
  test("bodies over MAX_BODY_BYTES get 413 on every form (declared or streamed)", async () => {
    const huge = `username=${"a".repeat(gateway.ctx.config.maxBodyBytes + 10)}`;
    const fresh = await testGateway(); // setup still open there
    const setup = await fresh.request("/setup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: huge,
    });
    expect(setup.status).toBe(413);
    await fresh.close();
    for (const path of ["/login", "/logout"]) {
      const declared = await gateway.request(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: huge,
      });
      expect(declared.status).toBe(413);
    }
    const bytes = new TextEncoder().encode(huge);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 65536) controller.enqueue(bytes.slice(i, i + 65536));
        controller.close();
      },
    });
    const streamed = await gateway.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: stream,
    });
    expect(streamed.status).toBe(413);
  });

  test("a wrong content type is 415 and a repeated field 400, never 500", async () => {
    const json = await gateway.request("/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    expect(json.status).toBe(415);
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/login");
    const repeated = await gateway.request("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: jar.header(),
        origin: new URL(gateway.ctx.config.publicUrl).origin,
      },
      body: `_csrf=${token}&username=a&username=b&password=x`,
    });
    expect(repeated.status).toBe(400);
  });

  test("garbage cookies and odd encodings are not a 500", async () => {
    for (const cookie of [
      "authmcp_session=%E0%A4%A",
      `authmcp_csrf=%%%; authmcp_session=${"x".repeat(5000)}`,
    ]) {
      const response = await gateway.request("/admin/", { headers: { cookie } });
      expect(response.status).toBeLessThan(500);
      const login = await gateway.request("/login", { headers: { cookie } });
      expect(login.status).toBeLessThan(500);
    }
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/login");
    const { response } = await postForm(gateway, jar, "/login", {
      _csrf: token,
      username: "\u0000<img src=x onerror=alert(1)>\uFFFF",
      password: "\uD800",
    });
    expect(response.status).toBe(401);
  });

  test("a hostile username typed at login is echoed escaped", async () => {
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/login");
    const name = "<script>alert(1)</script>";
    const { html } = await postForm(gateway, jar, "/login", { _csrf: token, username: name, password: "x" });
    expect(html).not.toContain(name);
    expect(parseElements(html, "script")).toHaveLength(2);
  });

  test("a hostile username stored by another path is escaped on the dashboard", async () => {
    // The username rules forbid markup; a row written directly proves the view escapes anyway.
    const hostile = "<script>alert(1)</script>";
    const row = gateway.ctx.users.list().find((u) => u.username === ADMIN.username);
    gateway.ctx.db.$client.run("UPDATE users SET username = ? WHERE id = ?", [hostile, row?.id as string]);
    gateway.ctx.users.update(row?.id as string, {}); // drops the cached principal
    const { response, html } = await getPage(gateway, admin, "/admin/");
    expect(response.status).toBe(200);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain(hostile);
    expect(parseElements(html, "script")).toHaveLength(2);
  });
});
