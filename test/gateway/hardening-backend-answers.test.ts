import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer as createNodeServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type LegacySseBackend, startLegacySseBackend } from "../support/legacy-sse-backend.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, INITIALIZE, postMessage, sdkClient } from "./helpers.ts";

/**
 * §1 and §4 of the hardening issue: what of a backend's answer reaches the client on the gateway's
 * origin. One scripted backend answers whatever the test names in `?case=`.
 */
type Answer = { status: number; headers: Record<string, string>; body: string | null };
const CASES: Record<string, Answer> = {
  html: { status: 200, headers: { "content-type": "text/html" }, body: "<script>alert(1)</script>" },
  plain500: { status: 500, headers: { "content-type": "text/plain" }, body: "Internal Server Error" },
  jsonSeq: { status: 200, headers: { "content-type": "application/json-seq" }, body: "{}" },
  noType: { status: 200, headers: {}, body: '{"jsonrpc":"2.0","id":7,"result":{}}' },
  html404: { status: 404, headers: { "content-type": "text/html" }, body: "<script>alert(1)</script>" },
  // An older SDK's "Session not found": no Content-Type.
  bare404: {
    status: 404,
    headers: {},
    body: '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}',
  },
  json: {
    status: 200,
    headers: { "content-type": "Application/JSON; charset=utf-8" },
    body: '{"jsonrpc":"2.0","id":7,"result":{}}',
  },
  sse: {
    status: 200,
    headers: { "content-type": "text/event-stream" },
    body: 'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n',
  },
  accepted: { status: 202, headers: {}, body: null },
  noContent: { status: 204, headers: {}, body: null },
  unauthorized: {
    status: 401,
    headers: {
      "content-type": "application/json",
      "www-authenticate":
        'Bearer resource_metadata="https://elsewhere.example/.well-known/oauth-protected-resource"',
    },
    body: '{"error":"invalid_token"}',
  },
  forbidden: {
    status: 403,
    headers: { "content-type": "text/html", "www-authenticate": 'Bearer error="insufficient_scope"' },
    body: "<h1>no</h1>",
  },
  // Every header a backend could use to speak for the gateway's origin, on a valid JSON answer.
  loud: {
    status: 200,
    headers: {
      "content-type": "application/json",
      "mcp-session-id": "s-1",
      "mcp-protocol-version": "2025-06-18",
      "cache-control": "no-store",
      "retry-after": "3",
      "www-authenticate": 'Bearer resource_metadata="https://elsewhere.example/"',
      location: "https://elsewhere.example/",
      "content-security-policy": "script-src *",
      "content-security-policy-report-only": "default-src 'none'",
      "strict-transport-security": "max-age=63072000; includeSubDomains; preload",
      "alt-svc": 'h3=":443"; ma=86400',
      "set-cookie": "authmcp_session=planted; Path=/",
      "access-control-allow-origin": "*",
      "access-control-allow-credentials": "true",
      "clear-site-data": '"cookies"',
      refresh: "0; url=https://elsewhere.example/",
      link: "<https://elsewhere.example/x.js>; rel=preload; as=script",
      "public-key-pins": 'pin-sha256="x"; max-age=1',
      "origin-agent-cluster": "?0",
      "cross-origin-opener-policy": "unsafe-none",
      "cross-origin-resource-policy": "cross-origin",
      "permissions-policy": "camera=*",
      "server-timing": "db;dur=1",
      "report-to": '{"group":"x","max_age":1,"endpoints":[{"url":"https://elsewhere.example/r"}]}',
      nel: '{"report_to":"x","max_age":1}',
      "reporting-endpoints": 'x="https://elsewhere.example/r"',
      "x-content-type-options": "sniff",
      "x-frame-options": "ALLOWALL",
      "content-disposition": "attachment; filename=x.html",
      "x-backend-trace": "t-1",
    },
    body: '{"jsonrpc":"2.0","id":7,"result":{}}',
  },
};
const KEPT = ["content-type", "mcp-session-id", "mcp-protocol-version", "cache-control", "retry-after"];
const CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

let gateway: ListeningGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;
let scripted: ReturnType<typeof Bun.serve>;
let chunked: ReturnType<typeof createNodeServer>;

beforeAll(async () => {
  scripted = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      const answer = CASES[new URL(request.url).searchParams.get("case") ?? ""];
      if (!answer) return new Response("no such case", { status: 400 });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
  });
  // A Node server's answer without a body is sent chunked and without a content type (the SDK's
  // 202 to a notification, its 200 to DELETE behind @hono/node-server).
  // Bun.serve always sends a Content-Type; the cases without one are answered from here too.
  chunked = createNodeServer((req, res) => {
    req.resume();
    const answer = CASES[new URL(req.url ?? "/", "http://x").searchParams.get("case") ?? ""];
    if (answer) res.writeHead(answer.status, answer.headers).end(answer.body ?? undefined);
    else res.writeHead(req.method === "DELETE" ? 200 : 202).end();
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => chunked.once("listening", resolve));
  gateway = await listeningGateway();
  setup = await adminAndUser(gateway);
  await createServer(gateway, setup.adminToken, {
    name: "scripted",
    url: `http://127.0.0.1:${scripted.port}/mcp`,
    auth_required: false,
  });
  await createServer(gateway, setup.adminToken, {
    name: "chunked",
    url: `http://127.0.0.1:${(chunked.address() as AddressInfo).port}/mcp`,
    auth_required: false,
  });
});
afterAll(async () => {
  await gateway?.close();
  scripted?.stop(true);
  chunked?.close();
});

/** Cases without a Content-Type come from the Node server. */
const call = (name: string) =>
  postMessage(
    `${gateway.url}/mcp/${CASES[name]?.headers["content-type"] ? "scripted" : "chunked"}?case=${name}`,
    { jsonrpc: "2.0", id: 7, method: "ping" },
  );

function expectSandboxed(response: Response) {
  expect(response.headers.get("content-security-policy")).toBe(CSP);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("content types (§1)", () => {
  test("anything but JSON or SSE becomes a 502 JSON-RPC error with the request id, and a log line", async () => {
    for (const name of ["html", "plain500", "jsonSeq", "noType", "html404"]) {
      const before = gateway.logs.length;
      const response = await call(name);
      expect(response.status).toBe(502);
      expect(response.headers.get("content-type")).toStartWith("application/json");
      expectSandboxed(response);
      expect(await response.json()).toEqual({
        jsonrpc: "2.0",
        id: 7,
        error: { code: -32000, message: "Backend answered with an unsupported content type" },
      });
      const line = gateway.logs.slice(before).find((l) => l.includes("content type MCP does not use"));
      expect(line).toBeDefined();
      expect(JSON.parse(line as string)).toMatchObject({
        level: "warn",
        contentType: CASES[name]?.headers["content-type"] ?? null,
      });
    }
  });

  test("a 4xx without any content type keeps its status (404: the client opens a new session), with the gateway's body", async () => {
    const response = await call("bare404");
    expect(response.status).toBe(404);
    expectSandboxed(response);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32001, message: "Backend answered HTTP 404" },
    });
  });

  test("JSON (any case, with parameters) and SSE pass, sandboxed", async () => {
    const json = await call("json");
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
    expectSandboxed(json);
    const sse = await call("sse");
    expect(sse.status).toBe(200);
    expect(sse.headers.get("content-type")).toBe("text/event-stream");
    expect(await sse.text()).toContain('"result":{}');
    expectSandboxed(sse);
  });

  test("answers without a body pass: 202, 204, and a chunked 202 or DELETE 200 without a content type", async () => {
    for (const [name, status] of [
      ["accepted", 202],
      ["noContent", 204],
    ] as const) {
      const response = await call(name);
      expect(response.status).toBe(status);
      expect(await response.text()).toBe("");
      expectSandboxed(response);
    }
    const notified = await postMessage(`${gateway.url}/mcp/chunked`, {
      jsonrpc: "2.0",
      method: "notifications/initialized",
    });
    expect(notified.status).toBe(202);
    expect(await notified.text()).toBe("");
    expectSandboxed(notified);
    const deleted = await fetch(`${gateway.url}/mcp/chunked`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toBe("");
  });

  test("the legacy SSE bridge's answers are sandboxed too", async () => {
    const legacy: LegacySseBackend = await startLegacySseBackend();
    try {
      await createServer(gateway, setup.adminToken, {
        name: "legacy",
        url: legacy.url,
        transport: "sse",
        auth_required: false,
      });
      const init = await postMessage(`${gateway.url}/mcp/legacy`, INITIALIZE);
      expect(init.status).toBe(200);
      expectSandboxed(init);
      const sessionId = init.headers.get("mcp-session-id") as string;
      const list = await postMessage(
        `${gateway.url}/mcp/legacy`,
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
        { "mcp-session-id": sessionId, "mcp-protocol-version": "2024-11-05" },
      );
      expect(list.headers.get("content-type")).toBe("text/event-stream");
      expectSandboxed(list);
      await list.body?.cancel();
    } finally {
      await legacy.close();
    }
  });
});

describe("what a backend can make clients believe (§4)", () => {
  test("a backend 401 or 403 becomes a JSON-RPC error without its WWW-Authenticate, and a warning for the operator", async () => {
    for (const name of ["unauthorized", "forbidden"]) {
      const before = gateway.logs.length;
      const response = await call(name);
      expect(response.status).toBe(502);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expectSandboxed(response);
      expect(await response.json()).toEqual({
        jsonrpc: "2.0",
        id: 7,
        error: { code: -32000, message: "Backend refused the gateway's credential" },
      });
      const line = gateway.logs
        .slice(before)
        .find((l) => l.includes("backend refused the gateway's credential"));
      expect(line).toBeDefined();
      expect(JSON.parse(line as string)).toMatchObject({
        level: "warn",
        server: "scripted",
        status: CASES[name]?.status,
      });
    }
  });

  test("a legacy SSE backend's 401 becomes a 502 JSON-RPC error and a log line naming the credential", async () => {
    await createServer(gateway, setup.adminToken, {
      name: "legacy401",
      url: `http://127.0.0.1:${scripted.port}/sse?case=unauthorized`,
      transport: "sse",
      auth_required: false,
    });
    const before = gateway.logs.length;
    const response = await postMessage(`${gateway.url}/mcp/legacy401`, INITIALIZE);
    expect(response.status).toBe(502);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expectSandboxed(response);
    expect(((await response.json()) as { id: unknown }).id).toBe(INITIALIZE.id);
    expect(gateway.logs.slice(before).some((l) => l.includes("refused the gateway's credential"))).toBe(true);
  });

  test("a client-credentials token the backend refuses is dropped: the next request fetches a new one", async () => {
    let issued = 0;
    const tokens = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ access_token: `token-${++issued}`, expires_in: 3600 }),
    });
    const picky = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        request.headers.get("authorization") === "Bearer token-1"
          ? new Response("revoked", { status: 401, headers: { "www-authenticate": "Bearer" } })
          : Response.json({ jsonrpc: "2.0", id: 8, result: {} }),
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "picky",
        url: `http://127.0.0.1:${picky.port}/mcp`,
        auth_required: false,
        credential: {
          type: "client_credentials",
          token_url: `http://127.0.0.1:${tokens.port}/token`,
          client_id: "gw",
          client_secret: "s",
        },
      });
      const ping = () => postMessage(`${gateway.url}/mcp/picky`, { jsonrpc: "2.0", id: 8, method: "ping" });
      expect((await ping()).status).toBe(502);
      expect((await ping()).status).toBe(200);
      expect(issued).toBe(2);
    } finally {
      tokens.stop(true);
      picky.stop(true);
    }
  });

  test("only the headers MCP needs pass; none that speak for the origin", async () => {
    for (const origin of [undefined, `${gateway.url}`]) {
      const response = await fetch(`${gateway.url}/mcp/scripted?case=loud`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(origin ? { origin } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
      const loud = CASES.loud as Answer;
      for (const name of KEPT) expect(response.headers.get(name)).toBe(loud.headers[name] as string);
      for (const name of Object.keys(loud.headers)) {
        if (KEPT.includes(name) || name === "content-security-policy" || name === "x-content-type-options")
          continue;
        if (origin && name === "access-control-allow-origin") {
          expect(response.headers.get(name)).toBe(origin); // the gateway's own CORS answer
          continue;
        }
        expect([name, response.headers.get(name)]).toEqual([name, null]);
      }
      expectSandboxed(response);
    }
  });

  test("a redirect from the backend is not passed on: 502, no Location", async () => {
    const redirecting = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(null, { status: 307, headers: { location: "https://elsewhere.example/mcp" } }),
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "redirecting",
        url: `http://127.0.0.1:${redirecting.port}/mcp`,
        auth_required: false,
      });
      const response = await postMessage(`${gateway.url}/mcp/redirecting`, {
        jsonrpc: "2.0",
        id: 3,
        method: "ping",
      });
      expect(response.status).toBe(502);
      expect(response.headers.get("location")).toBeNull();
      expect(await response.json()).toMatchObject({
        id: 3,
        error: { message: "Backend answered with a redirect" },
      });
    } finally {
      redirecting.stop(true);
    }
  });
});

test("a real MCP backend still works end to end through the SDK client", async () => {
  const backend: McpBackend = await startMcpBackend();
  try {
    await createServer(gateway, setup.adminToken, { name: "real", url: backend.url, auth_required: false });
    const { client, transport } = await sdkClient(`${gateway.url}/mcp/real`);
    const echo = await client.callTool({ name: "echo", arguments: { text: "still here" } });
    expect(echo.content).toEqual([{ type: "text", text: "still here" }]);
    await transport.terminateSession();
    await client.close();
  } finally {
    await backend.close();
  }
});
