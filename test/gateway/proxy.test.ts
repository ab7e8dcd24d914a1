import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, INITIALIZE, postMessage, sdkClient, tokenFor } from "./helpers.ts";

let gateway: ListeningGateway;
let backend: McpBackend;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeEach(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway({ ALLOWED_ORIGINS: "https://app.example" });
  setup = await adminAndUser(gateway);
});
afterEach(async () => {
  await gateway.close();
  await backend.close();
});

const headerOf = (h: Record<string, string | string[] | undefined>, name: string) => h[name];

describe("per-server proxy with the SDK client", () => {
  test("initialize, tools/list, tools/call, progress over SSE, DELETE; backend sees gateway credential and user headers", async () => {
    const server = await createServer(gateway, setup.adminToken, {
      name: "tools",
      url: backend.url,
      user_context: "headers",
      credential: { type: "bearer", token: "backend-secret-1" },
    });
    await gateway.request(`/admin/api/mcp-servers/${server.id}/users/${setup.user.id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${setup.adminToken}` },
    });
    const token = await tokenFor(gateway, "alice", "tools");
    const { client, transport } = await sdkClient(`${gateway.url}/mcp/tools`, token);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "progress", "wait"]));
    const echo = await client.callTool({ name: "echo", arguments: { text: "hi there" } });
    expect(echo.content).toEqual([{ type: "text", text: "hi there" }]);

    const seen: number[] = [];
    const result = await client.callTool({ name: "progress", arguments: { steps: 4 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.content).toEqual([{ type: "text", text: "done after 4" }]);

    const sessionId = transport.sessionId;
    expect(sessionId).toBeString();
    await transport.terminateSession();
    await client.close();

    const requests = backend.received;
    expect(requests.length).toBeGreaterThan(4);
    for (const r of requests) {
      expect(headerOf(r.headers, "authorization")).toBe("Bearer backend-secret-1");
      expect(String(headerOf(r.headers, "authorization"))).not.toContain(token);
      expect(headerOf(r.headers, "cookie")).toBeUndefined();
      expect(headerOf(r.headers, "x-user-id")).toBe(setup.user.id);
      expect(headerOf(r.headers, "x-user-email")).toBe("alice@example.test");
      expect(headerOf(r.headers, "x-user-name")).toBe("alice");
    }
    expect(requests.at(-1)?.method).toBe("DELETE");
    expect(requests.at(-1)?.headers["mcp-session-id"]).toBe(sessionId);
  });

  test("client-sent user-context headers, cookies and Authorization never reach the backend", async () => {
    await createServer(gateway, setup.adminToken, { name: "open", url: backend.url, auth_required: false });
    const response = await fetch(`${gateway.url}/mcp/open`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: "Bearer client-token-xyz",
        cookie: "a=b",
        "x-user-id": "forged",
        "x-user-email": "forged@example.test",
        "x-user-assertion": "forged",
        "x-client-id": "forged",
      },
      body: JSON.stringify(INITIALIZE),
    });
    expect(response.status).toBe(200);
    await response.text();
    const got = backend.received[0]?.headers ?? {};
    for (const name of [
      "authorization",
      "cookie",
      "x-user-id",
      "x-user-email",
      "x-user-assertion",
      "x-client-id",
    ]) {
      expect(got[name]).toBeUndefined();
    }
  });

  test("user-context JWT assertion verifies against the gateway JWKS", async () => {
    await createServer(gateway, setup.adminToken, {
      name: "asserted",
      url: backend.url,
      user_context: "jwt",
      open_to_all: true,
    });
    const token = await tokenFor(gateway, "alice", "asserted");
    const { client } = await sdkClient(`${gateway.url}/mcp/asserted`, token);
    await client.listTools();
    await client.close();
    const assertion = backend.received[0]?.headers["x-user-assertion"];
    expect(assertion).toBeString();
    const jwks = createRemoteJWKSet(new URL(`${gateway.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(String(assertion), jwks, {
      issuer: gateway.ctx.config.publicUrl,
      audience: backend.url,
      currentDate: new Date(gateway.clock.now()),
    });
    expect(protectedHeader.typ).toBe("user-assertion+jwt");
    expect(payload.sub).toBe(setup.user.id);
    expect(payload.email).toBe("alice@example.test");
    expect(backend.received[0]?.headers["x-user-id"]).toBeUndefined();
  });
});

describe("access, sessions and origins", () => {
  test("no token → 401 with WWW-Authenticate; bad token → invalid_token; not granted / unknown / disabled → 404", async () => {
    const server = await createServer(gateway, setup.adminToken, {
      name: "private",
      url: backend.url,
      scopes: ["mcp:read"],
    });
    const none = await fetch(`${gateway.url}/mcp/private`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    const challenge = none.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain(
      `resource_metadata="${gateway.url}/.well-known/oauth-protected-resource/mcp/private"`,
    );
    expect(challenge).toContain('scope="mcp mcp:read"');
    expect(challenge).not.toContain("error=");
    const bad = await fetch(`${gateway.url}/mcp/private`, {
      method: "POST",
      headers: { authorization: "Bearer abc.def.ghi" },
      body: "{}",
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');

    const aliceToken = await tokenFor(gateway, "alice", "private");
    const denied = await fetch(`${gateway.url}/mcp/private`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}` },
      body: "{}",
    });
    expect(denied.status).toBe(404);
    // A token for another resource is not accepted here.
    const wrongAudience = await fetch(`${gateway.url}/mcp/private`, {
      method: "POST",
      headers: { authorization: `Bearer ${setup.adminToken}` },
      body: "{}",
    });
    expect(wrongAudience.status).toBe(401);
    expect(backend.received).toHaveLength(0);

    const unknown = await fetch(`${gateway.url}/mcp/nope`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${setup.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    const disabled = await fetch(`${gateway.url}/mcp/private`, { method: "POST", body: "{}" });
    expect(disabled.status).toBe(404);
  });

  test("a session id used by another user → 404 and a security event; /{server}/mcp works too", async () => {
    await createServer(gateway, setup.adminToken, { name: "shared", url: backend.url, open_to_all: true });
    const alice = await tokenFor(gateway, "alice", "shared");
    const { client, transport } = await sdkClient(`${gateway.url}/shared/mcp`, alice);
    const sessionId = transport.sessionId ?? "";
    const mallory = await tokenFor(gateway, "mallory", "shared");
    const before = backend.received.length;
    const hijack = await fetch(`${gateway.url}/mcp/shared`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${mallory}`,
        "mcp-session-id": sessionId,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
    });
    expect(hijack.status).toBe(404);
    expect(backend.received.length).toBe(before);
    expect(gateway.logs.some((l) => l.includes('"event":"session_hijack_attempt"'))).toBe(true);
    // The owner still works.
    expect((await client.listTools()).tools.length).toBeGreaterThan(3);
    await client.close();
  });

  test("a foreign Origin → 403; an allowed Origin gets CORS headers; preflight answered", async () => {
    await createServer(gateway, setup.adminToken, { name: "web", url: backend.url, auth_required: false });
    const foreign = await fetch(`${gateway.url}/mcp/web`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
      body: "{}",
    });
    expect(foreign.status).toBe(403);
    expect(backend.received).toHaveLength(0);
    const preflight = await fetch(`${gateway.url}/mcp/web`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
    expect(preflight.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const allowed = await fetch(`${gateway.url}/mcp/web`, {
      method: "POST",
      headers: {
        origin: "https://app.example",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(INITIALIZE),
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");
    await allowed.text();
  });
});

describe("backend failures", () => {
  test("backend down → 502 JSON-RPC error with the request id", async () => {
    const dead = await startMcpBackend();
    const url = dead.url;
    await dead.close();
    await createServer(gateway, setup.adminToken, { name: "down", url, auth_required: false });
    const response = await fetch(`${gateway.url}/mcp/down`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: "req-42", method: "tools/list" }),
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: "req-42",
      error: { code: -32000, message: "Backend unreachable" },
    });
  });

  /** A backend that never answers and counts the requests it received and saw abandoned. */
  function silentBackend() {
    const seen = { received: 0, abandoned: 0 };
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: (request) => {
        seen.received++;
        request.signal.addEventListener("abort", () => seen.abandoned++);
        return new Promise<Response>(() => {});
      },
    });
    return { seen, url: `http://127.0.0.1:${server.port}/mcp`, stop: () => server.stop(true) };
  }
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 400 && !done(); i++) await Bun.sleep(5);
  };

  test("time to first byte over the server timeout → 504 JSON-RPC error, and the upstream request is closed", async () => {
    const silent = silentBackend();
    try {
      await createServer(gateway, setup.adminToken, {
        name: "slow",
        url: silent.url,
        auth_required: false,
        timeout_ms: 150,
      });
      const response = await fetch(`${gateway.url}/mcp/slow`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "ping" }),
      });
      expect(response.status).toBe(504);
      expect(((await response.json()) as { id: number }).id).toBe(9);
      await until(() => silent.seen.abandoned === 1);
      expect(silent.seen).toEqual({ received: 1, abandoned: 1 });
    } finally {
      silent.stop();
    }
  });

  test("the client going away before the backend's first byte aborts the upstream request", async () => {
    const silent = silentBackend();
    try {
      await createServer(gateway, setup.adminToken, { name: "hung", url: silent.url, auth_required: false });
      const controller = new AbortController();
      const call = fetch(`${gateway.url}/mcp/hung`, {
        method: "POST",
        signal: controller.signal,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }),
      }).catch((error: unknown) => error);
      await until(() => silent.seen.received === 1);
      expect(silent.seen.abandoned).toBe(0);
      controller.abort();
      await call;
      await until(() => silent.seen.abandoned === 1);
      expect(silent.seen).toEqual({ received: 1, abandoned: 1 });
    } finally {
      silent.stop();
    }
  });

  test("backend killed mid-stream → the client's stream ends; another server still works", async () => {
    const second = await startMcpBackend();
    try {
      await createServer(gateway, setup.adminToken, {
        name: "fragile",
        url: backend.url,
        auth_required: false,
      });
      await createServer(gateway, setup.adminToken, {
        name: "sturdy",
        url: second.url,
        auth_required: false,
      });
      const session = await openSession(`${gateway.url}/mcp/fragile`);
      const call = await rpc(`${gateway.url}/mcp/fragile`, session, {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "wait", arguments: {} },
      });
      expect(call.status).toBe(200);
      expect(call.headers.get("content-type")).toContain("text/event-stream");
      const reader = (call.body as ReadableStream<Uint8Array>).getReader();
      while (!backend.received.some((r) => JSON.stringify(r.body ?? "").includes('"wait"')))
        await Bun.sleep(5);
      backend.kill();
      let ended = false;
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (chunk.done) {
          ended = true;
          break;
        }
      }
      expect(ended).toBe(true);
      const { client: other } = await sdkClient(`${gateway.url}/mcp/sturdy`);
      expect((await other.callTool({ name: "echo", arguments: { text: "ok" } })).content).toEqual([
        { type: "text", text: "ok" },
      ]);
      await other.close();
    } finally {
      await second.close();
    }
  }, 20_000);
});

function rpc(
  url: string,
  session: string | undefined,
  message: unknown,
  headers: Record<string, string> = {},
) {
  return postMessage(url, message, {
    "mcp-protocol-version": "2025-06-18",
    ...(session ? { "mcp-session-id": session } : {}),
    ...headers,
  });
}

/** initialize + notifications/initialized over raw HTTP; returns the session id. */
async function openSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const init = await rpc(url, undefined, INITIALIZE, headers);
  expect(init.status).toBe(200);
  await init.text();
  const session = init.headers.get("mcp-session-id") ?? "";
  expect(session).not.toBe("");
  const note = await rpc(url, session, { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  expect(note.status).toBe(202);
  await note.text();
  return session;
}

describe("client side", () => {
  test("the client going away aborts the upstream request", async () => {
    await createServer(gateway, setup.adminToken, { name: "abort", url: backend.url, auth_required: false });
    const url = `${gateway.url}/mcp/abort`;
    const session = await openSession(url);
    const controller = new AbortController();
    const call = await fetch(url, {
      method: "POST",
      signal: controller.signal,
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": session,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "wait", arguments: {} },
      }),
    });
    const reader = (call.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the "waiting" notification
    expect(backend.abandoned()).toBe(0);
    controller.abort();
    for (let i = 0; i < 400 && backend.abandoned() === 0; i++) await Bun.sleep(5);
    expect(backend.abandoned()).toBe(1);
  });

  test("the client going away in the middle of a JSON answer closes the upstream request", async () => {
    let abandoned = 0;
    const trickle = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: (request) => {
        request.signal.addEventListener("abort", () => abandoned++);
        // Half a JSON body, then nothing: the answer has started but never ends.
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(new TextEncoder().encode('{"jsonrpc":"2.0","id":5,')),
        });
        return new Response(body, { headers: { "content-type": "application/json" } });
      },
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "trickle",
        url: `http://127.0.0.1:${trickle.port}/mcp`,
        auth_required: false,
      });
      const controller = new AbortController();
      const call = await fetch(`${gateway.url}/mcp/trickle`, {
        method: "POST",
        signal: controller.signal,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping" }),
      });
      expect(call.status).toBe(200);
      const reader = (call.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"jsonrpc":"2.0","id":5,');
      expect(abandoned).toBe(0);
      controller.abort();
      for (let i = 0; i < 400 && abandoned === 0; i++) await Bun.sleep(5);
      expect(abandoned).toBe(1);
    } finally {
      trickle.stop(true);
    }
  });

  test("oversized body → 413 JSON-RPC error; bad paths and methods are refused", async () => {
    await createServer(gateway, setup.adminToken, { name: "small", url: backend.url, auth_required: false });
    const big = await fetch(`${gateway.url}/mcp/small`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(2_000_000) } }),
    });
    expect(big.status).toBe(413);
    const chunked = await fetch(`${gateway.url}/mcp/small`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode("x".repeat(100_000)));
          c.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expect(backend.received).toHaveLength(0);
    for (const path of ["/mcp/..%2Fadmin", "/mcp/UPPER", "/mcp/%00", "/mcp/small%20"]) {
      expect((await fetch(`${gateway.url}${path}`, { method: "POST", body: "{}" })).status).toBe(404);
    }
    const put = await fetch(`${gateway.url}/mcp/small`, { method: "PUT", body: "{}" });
    expect(put.status).toBeGreaterThanOrEqual(404);
    const garbage = await fetch(`${gateway.url}/mcp/small`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{not json",
    });
    expect(garbage.status).toBe(400); // the backend's own parse error, passed through
  });
});

describe("bearer checks on the hot path", () => {
  test("a token served from the verified-token cache stops working once revoked or its user is disabled, and never opens another server", async () => {
    const plain = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ jsonrpc: "2.0", id: 1, result: {} }),
    });
    try {
      for (const name of ["alpha", "beta"]) {
        await createServer(gateway, setup.adminToken, {
          name,
          url: `http://127.0.0.1:${plain.port}/mcp`,
          open_to_all: true,
        });
      }
      const call = (server: string, token: string) =>
        fetch(`${gateway.url}/mcp/${server}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        });
      const revoked = await tokenFor(gateway, "alice", "alpha");
      expect((await call("alpha", revoked)).status).toBe(200);
      expect((await call("alpha", revoked)).status).toBe(200); // now from the cache
      expect((await call("beta", revoked)).status).toBe(401);
      const claims = JSON.parse(
        atob((revoked.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")),
      );
      gateway.ctx.revocations.revoke(claims.jti, claims.exp * 1000);
      const refused = await call("alpha", revoked);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');

      const disabled = await tokenFor(gateway, "alice", "alpha");
      expect((await call("alpha", disabled)).status).toBe(200);
      gateway.ctx.users.update(setup.user.id, { isActive: false });
      expect((await call("alpha", disabled)).status).toBe(401);
    } finally {
      plain.stop(true);
    }
  });
});

describe("response headers", () => {
  test("the backend's cookies, CORS, hop-by-hop and other headers never reach the client; the session id does", async () => {
    const plain = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response('{"jsonrpc":"2.0","id":1,"result":{}}', {
          status: 200,
          headers: {
            "content-type": "application/json",
            "set-cookie": "backend_session=secret; Path=/",
            "access-control-allow-origin": "*",
            "access-control-allow-credentials": "true",
            "keep-alive": "timeout=99",
            "x-backend-trace": "t-1",
            "mcp-session-id": "backend-session-1",
          },
        }),
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "leaky",
        url: `http://127.0.0.1:${plain.port}/mcp`,
        auth_required: false,
      });
      for (const origin of [undefined, "https://app.example"]) {
        const response = await fetch(`${gateway.url}/mcp/leaky`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(origin ? { origin } : {}) },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ jsonrpc: "2.0", id: 1, result: {} });
        expect(response.headers.get("set-cookie")).toBeNull();
        expect(response.headers.get("keep-alive")).toBeNull();
        expect(response.headers.get("access-control-allow-credentials")).toBeNull();
        expect(response.headers.get("access-control-allow-origin")).toBe(origin ?? null);
        // Not on the allow-list of what MCP needs (src/gateway/upstream-response.ts).
        expect(response.headers.get("x-backend-trace")).toBeNull();
        expect(response.headers.get("mcp-session-id")).toBe("backend-session-1");
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      }
    } finally {
      plain.stop(true);
    }
  });
});

describe("compressed upstream bodies", () => {
  test("a gzip backend body reaches the client once-encoded and decodes to the original", async () => {
    const original = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "z".repeat(5000) } });
    const zipped = Bun.gzipSync(new TextEncoder().encode(original));
    const seenEncoding: (string | null)[] = [];
    const gz = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        seenEncoding.push(request.headers.get("accept-encoding"));
        return new Response(zipped, {
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
        });
      },
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "gz",
        url: `http://127.0.0.1:${gz.port}/mcp`,
        auth_required: false,
      });
      const response = await fetch(`${gateway.url}/mcp/gz`, {
        method: "POST",
        headers: { "content-type": "application/json", "accept-encoding": "gzip" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-encoding")).toBe("gzip");
      expect(await response.text()).toBe(original);
      expect(seenEncoding).toEqual(["gzip"]);
    } finally {
      gz.stop(true);
    }
  });
});

describe("idle SSE streams", () => {
  test("an SSE stream idle longer than the server idle timeout is kept open by keep-alive comments", async () => {
    const keepAliveGateway = await listeningGateway({ MCP_SSE_KEEPALIVE_MS: "200" });
    // A front server like production's, with a 1 s idle timeout.
    const front = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 1,
      fetch: (request) => keepAliveGateway.app.handle(request),
    });
    try {
      const admin = await adminAndUser(keepAliveGateway);
      await createServer(keepAliveGateway, admin.adminToken, {
        name: "idle",
        url: backend.url,
        auth_required: false,
      });
      const url = `http://127.0.0.1:${front.port}/mcp/idle`;
      const session = await openSession(url);
      const call = await rpc(url, session, {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "wait", arguments: {} },
      });
      expect(call.headers.get("cache-control")).toBe("no-cache");
      expect(call.headers.get("x-accel-buffering")).toBe("no");
      const release = Bun.sleep(2500).then(() => backend.release());
      const text = await call.text();
      await release;
      expect(text).toContain(": keep-alive");
      expect(text).toContain('"released"');
      // Comments only between events: every event's data line is intact JSON.
      for (const line of text.split("\n").filter((l) => l.startsWith("data:"))) {
        expect(() => JSON.parse(line.slice(5))).not.toThrow();
      }
    } finally {
      front.stop(true);
      await keepAliveGateway.close();
    }
  }, 20_000);
});
