import { afterAll, beforeAll, expect, test } from "bun:test";
import { type TestGateway, testGateway } from "../support/context.ts";
import { browserUser, REDIRECT, registerClient } from "../support/oauth-helpers.ts";

let gw: TestGateway;
let cookie: string;
let clientId: string;
beforeAll(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: "https://gw.example.test" });
  cookie = (await browserUser(gw)).cookie;
  clientId = (await registerClient(gw)).client_id;
});
afterAll(() => gw.close());

const FORM = { "content-type": "application/x-www-form-urlencoded" };

test("hostile input never yields a 500 and never redirects off-site before validation", async () => {
  const requests: [string, RequestInit | undefined][] = [
    ["/oauth/authorize?client_id=%E0%A4%A", { headers: { cookie } }],
    [`/oauth/authorize?client_id=${"a".repeat(5000)}`, { headers: { cookie } }],
    [`/oauth/authorize?client_id=${clientId}&redirect_uri=javascript:alert(1)`, { headers: { cookie } }],
    [
      `/oauth/authorize?client_id=${clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=${"s".repeat(3000)}`,
      { headers: { cookie } },
    ],
    [`/oauth/authorize?client_id=${encodeURIComponent("https://[::1/x")}`, { headers: { cookie } }],
    [
      `/oauth/authorize?client_id=${encodeURIComponent("https://user:pw@example.com/x")}`,
      { headers: { cookie } },
    ],
    ["/oauth/authorize?client_id=file:///etc/passwd", { headers: { cookie } }],
    [
      "/oauth/token",
      {
        method: "POST",
        headers: { ...FORM, authorization: "Basic !!!" },
        body: "grant_type=authorization_code",
      },
    ],
    [
      "/oauth/token",
      {
        method: "POST",
        headers: { ...FORM, authorization: `Basic ${btoa("%zz:%zz")}` },
        body: "grant_type=x",
      },
    ],
    [
      "/oauth/token",
      { method: "POST", headers: { ...FORM, authorization: `Basic ${btoa("nocolon")}` }, body: "" },
    ],
    [
      "/oauth/token",
      {
        method: "POST",
        headers: FORM,
        body: `client_id=${clientId}&grant_type=authorization_code&code=${"c".repeat(10_000)}&code_verifier=${"v".repeat(50)}`,
      },
    ],
    [
      "/oauth/token",
      {
        method: "POST",
        headers: FORM,
        body: `client_id=${clientId}&grant_type=refresh_token&refresh_token=${"r".repeat(10_000)}`,
      },
    ],
    ["/oauth/token", { method: "POST", headers: FORM, body: "%%%&&&===" }],
    ["/oauth/token", { method: "POST", headers: { "content-length": "abc", ...FORM }, body: "a=b" }],
    [
      "/oauth/revoke",
      { method: "POST", headers: FORM, body: `client_id=${clientId}&token=${"x.".repeat(3000)}` },
    ],
    [
      "/oauth/introspect",
      { method: "POST", headers: { ...FORM, authorization: "Bearer a.b.c" }, body: "token=x" },
    ],
    ["/oauth/register", { method: "POST", headers: { "content-type": "application/json" }, body: "null" }],
    [
      "/oauth/register",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"redirect_uris":[1,2],"grant_types":{}}',
      },
    ],
    [
      "/oauth/register",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"__proto__":{"x":1},"redirect_uris":["https://a.example/cb"]}',
      },
    ],
    [
      "/oauth/authorize",
      {
        method: "POST",
        headers: { ...FORM, cookie, origin: "https://gw.example.test" },
        body: "_csrf=x&_csrf=y",
      },
    ],
    ["/.well-known/oauth-protected-resource/mcp/%00", undefined],
  ];
  for (const [path, init] of requests) {
    const res = await gw.request(path, init);
    expect(res.status, path.slice(0, 80)).toBeLessThan(500);
    const location = res.headers.get("location");
    if (location !== null)
      expect(location.startsWith("/") || location.startsWith(REDIRECT), location).toBe(true);
  }
  expect(gw.logs.join("\n")).not.toContain("unhandled error");
});
