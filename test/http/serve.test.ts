import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { claimedNames } from "../../src/gateway/routes.ts";
import { declaredTooLarge, RequestLog, withRequestHooks } from "../../src/http/request-hooks.ts";
import { securityHeaders } from "../../src/http/security-headers.ts";
import { pathOf, searchOf } from "../../src/http/url-parts.ts";
import { createLogger } from "../../src/logger.ts";
import { createUser, login } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

describe("helpers of the served hot path", () => {
  test("pathOf and searchOf agree with URL", () => {
    for (const url of [
      "http://127.0.0.1:8080/mcp/tools",
      "http://h/mcp/tools?x=1&y=%20",
      "http://h/mcp/tools?",
      "http://h/",
      "http://h",
      "https://user@h:1/a/b/?q#frag",
      "http://h/a#frag?notquery",
      "http://h/%2F..%2Fadmin/mcp",
    ]) {
      const normalised = new Request(url).url;
      const parsed = new URL(normalised);
      expect(pathOf(normalised)).toBe(parsed.pathname);
      expect(searchOf(normalised)).toBe(parsed.search);
    }
  });

  test("declaredTooLarge refuses non-numeric and oversized lengths only", () => {
    expect(declaredTooLarge(null, 10)).toBe(false);
    expect(declaredTooLarge("10", 10)).toBe(false);
    expect(declaredTooLarge("0010", 10)).toBe(false);
    expect(declaredTooLarge("11", 10)).toBe(true);
    for (const bad of ["", "-1", "1e3", " 5", "5 ", "0x5", "5.0"])
      expect(declaredTooLarge(bad, 10)).toBe(true);
  });

  test("claimedNames: what another route matches for /x/mcp or /mcp/x stays with the app", () => {
    const claimed = claimedNames([
      "/mcp/:server",
      "/:server/mcp",
      "/static/*",
      "/admin/login",
      "/oauth/token",
      "/reports/:id",
      "/tools/mcp",
      "/mcp/catalog",
      "/a/b/c",
    ]);
    expect([...claimed].sort()).toEqual(["catalog", "reports", "static", "tools"]);
  });

  test("a throwing handler becomes a 500 JSON body with security headers and one logged error", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const logger = createLogger("info", sink);
    const hooks = { log: new RequestLog(logger), maxBodyBytes: 100, headers: securityHeaders("http://h", 0) };
    const handler = withRequestHooks(hooks, () => {
      throw new Error("boom");
    });
    const response = await handler(new Request("http://h/mcp/x?secret=1", { method: "POST" }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "server_error",
      error_description: "the gateway failed to handle this request",
    });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    logger.flush();
    await Bun.sleep(10);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.filter((l) => l.msg === "unhandled error while serving a request")).toHaveLength(1);
    expect(parsed.filter((l) => l.msg === "request")).toEqual([
      expect.objectContaining({ method: "POST", path: "/mcp/x", status: 500 }),
    ]);
    expect(lines.join("\n")).not.toContain("secret");
  });
});

describe("the routes served from Bun.serve answer as the app does", () => {
  let gateway: ListeningGateway;
  let backend: ReturnType<typeof Bun.serve>;
  let token: string;

  beforeAll(async () => {
    backend = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const body = await request.text();
        return Response.json(
          { jsonrpc: "2.0", id: 1, result: { echoed: body.length, query: new URL(request.url).search } },
          { headers: { "mcp-session-id": "s-1", "set-cookie": "backend=1" } },
        );
      },
    });
    gateway = await listeningGateway({ ALLOWED_ORIGINS: "https://app.example", MAX_BODY_BYTES: "4096" });
    const created = await gateway.app.decorator.gateway.registry.create({
      name: "echo",
      url: `http://127.0.0.1:${backend.port}/mcp`,
      openToAll: true,
    });
    if (!created.ok) throw new Error(created.message);
    await createUser(gateway, "alice");
    token = (await login(gateway, "alice", { resource: `${gateway.url}/mcp/echo` })).access_token;
  });
  afterAll(async () => {
    await gateway.close();
    backend.stop(true);
  });

  const COMPARED = [
    "content-type",
    "cache-control",
    "x-content-type-options",
    "referrer-policy",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "vary",
    "www-authenticate",
    "allow",
    "set-cookie",
  ];
  async function view(response: Response) {
    const headers: Record<string, string | null> = {};
    for (const name of COMPARED) headers[name] = response.headers.get(name);
    return { status: response.status, headers, body: await response.text() };
  }

  test("success, auth errors, Origin, preflight, unknown server, wrong method, oversized body, HEAD", async () => {
    const rpc = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "x" } });
    const json = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const cases: [string, RequestInit][] = [
      [
        "/mcp/echo?a=1",
        { method: "POST", headers: { ...json, authorization: `Bearer ${token}` }, body: rpc },
      ],
      ["/echo/mcp", { method: "POST", headers: { ...json, authorization: `Bearer ${token}` }, body: rpc }],
      ["/mcp/echo", { method: "POST", headers: json, body: rpc }],
      ["/mcp/echo", { method: "POST", headers: { ...json, authorization: "Bearer nope" }, body: rpc }],
      [
        "/mcp/echo",
        {
          method: "POST",
          headers: { ...json, origin: "https://evil.example", authorization: `Bearer ${token}` },
          body: rpc,
        },
      ],
      ["/mcp/echo", { method: "OPTIONS", headers: { origin: "https://app.example" } }],
      ["/mcp/nope", { method: "POST", headers: { ...json, authorization: `Bearer ${token}` }, body: rpc }],
      ["/mcp/echo", { method: "PUT", headers: json, body: rpc }],
      // app.handle sees only the headers given; over HTTP the client sends the length itself.
      [
        "/mcp/echo",
        { method: "POST", headers: { ...json, "content-length": "5000" }, body: "x".repeat(5000) },
      ],
      ["/mcp/echo", { method: "HEAD" }],
      ["/static/mcp", { method: "GET" }],
    ];
    for (const [path, init] of cases) {
      const served = await view(await fetch(`${gateway.url}${path}`, init));
      const viaApp = await view(await gateway.app.handle(new Request(`${gateway.url}${path}`, init)));
      expect({ path, method: init.method, ...served }).toEqual({ path, method: init.method, ...viaApp });
    }
  });

  test("one request log line per served request, without the query string; none at level warn", async () => {
    await Bun.sleep(20); // Elysia writes its line after the response: let earlier ones land first
    const before = gateway.logs.length;
    await fetch(`${gateway.url}/mcp/echo?token=abc`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    await Bun.sleep(20);
    const lines = gateway.logs.slice(before).map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests).toEqual([expect.objectContaining({ method: "POST", path: "/mcp/echo", status: 200 })]);
    expect(typeof requests[0].duration_ms).toBe("number");
    expect(gateway.logs.slice(before).join("\n")).not.toContain("abc");

    gateway.ctx.logger.level = "warn";
    const quiet = gateway.logs.length;
    await fetch(`${gateway.url}/mcp/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: "{}",
    });
    await Bun.sleep(20);
    expect(gateway.logs.slice(quiet).filter((l) => l.includes('"msg":"request"'))).toHaveLength(0);
    gateway.ctx.logger.level = "info";
  });
});
