import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { type LegacySseBackend, startLegacySseBackend } from "../support/legacy-sse-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, INITIALIZE, sdkClient, tokenFor } from "./helpers.ts";

let gateway: ListeningGateway;
let backend: LegacySseBackend;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeEach(async () => {
  backend = await startLegacySseBackend();
  gateway = await listeningGateway({ MCP_SSE_KEEPALIVE_MS: "60000" });
  setup = await adminAndUser(gateway);
});
afterEach(async () => {
  await gateway.close();
  await backend.close();
});

const rpc = (body: unknown, token: string, extra: Record<string, string> = {}) => ({
  method: "POST",
  headers: {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  },
  body: JSON.stringify(body),
});

async function legacyServer(extra: Record<string, unknown> = {}) {
  return createServer(gateway, setup.adminToken, {
    name: "legacy",
    url: backend.url,
    transport: "sse",
    open_to_all: true,
    ...extra,
  });
}

describe("legacy HTTP+SSE backends, bridged to Streamable HTTP", () => {
  test("the SDK client: INITIALIZE, tools, progress, logging, sampling, DELETE; backend sees gateway credential and user headers only", async () => {
    await legacyServer({ user_context: "headers", credential: { type: "bearer", token: "legacy-secret" } });
    const token = await tokenFor(gateway, "alice", "legacy");
    const { client, transport } = await sdkClient(`${gateway.url}/mcp/legacy`, token, {
      capabilities: { sampling: {} },
    });
    expect(client.getServerVersion()?.name).toBe("legacy-backend");
    expect(transport.sessionId).toBeString();

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(["echo", "progress", "log", "ask"]),
    );
    const echo = await client.callTool({ name: "echo", arguments: { text: "héllo <legacy>" } });
    expect(echo.content).toEqual([{ type: "text", text: "héllo <legacy>" }]);

    const seen: number[] = [];
    const progress = await client.callTool({ name: "progress", arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(progress.content).toEqual([{ type: "text", text: "done after 3" }]);

    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params.data);
    });
    await client.callTool({ name: "log", arguments: {} });
    expect(logs).toEqual(["legacy says hello"]);

    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const first = request.params.messages[0]?.content;
      const prompt = first && !Array.isArray(first) && first.type === "text" ? first.text : "";
      return { role: "assistant", model: "test-model", content: { type: "text", text: `echo of ${prompt}` } };
    });
    const asked = await client.callTool({ name: "ask", arguments: { prompt: "2+2?" } });
    expect(asked.content).toEqual([{ type: "text", text: "model said: echo of 2+2?" }]);

    expect(backend.openStreams()).toBe(1);
    await transport.terminateSession();
    await client.close();
    for (let i = 0; i < 50 && backend.openStreams() > 0; i++) await Bun.sleep(10);
    expect(backend.openStreams()).toBe(0);

    expect(backend.received.length).toBeGreaterThan(6);
    for (const r of backend.received) {
      expect(r.headers.authorization).toBe("Bearer legacy-secret");
      expect(r.headers["x-user-id"]).toBe(setup.user.id);
      expect(r.headers["x-user-name"]).toBe("alice");
    }
    expect(backend.received[0]?.method).toBe("GET");
  });

  test("a request's answer streams as SSE; a JSON-only client gets JSON; the session id is refused to another user", async () => {
    await legacyServer();
    const alice = await tokenFor(gateway, "alice", "legacy");
    const init = await fetch(`${gateway.url}/mcp/legacy`, rpc(INITIALIZE, alice));
    expect(init.status).toBe(200);
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    expect(sessionId.length).toBeGreaterThan(20);
    expect(((await init.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe(
      "legacy-backend",
    );

    const session = { "mcp-session-id": sessionId, "mcp-protocol-version": "2024-11-05" };
    const initialized = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", method: "notifications/initialized" }, alice, session),
    );
    expect(initialized.status).toBe(202);

    const streamed = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc(
        { jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "echo", arguments: { text: "x" } } },
        alice,
        session,
      ),
    );
    expect(streamed.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await streamed.text();
    expect(text).toContain('"id":"a"');
    expect(text).toContain('"text":"x"');

    const jsonOnly = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 9, method: "tools/list" }, alice, { ...session, accept: "application/json" }),
    );
    expect(jsonOnly.headers.get("content-type")).toStartWith("application/json");
    expect(((await jsonOnly.json()) as { id: number }).id).toBe(9);

    const mallory = await tokenFor(gateway, "mallory", "legacy");
    const before = backend.received.length;
    const hijack = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 2, method: "tools/list" }, mallory, session),
    );
    expect(hijack.status).toBe(404);
    expect(backend.received.length).toBe(before);
    expect(gateway.logs.some((l) => l.includes('"event":"session_hijack_attempt"'))).toBe(true);
  });

  test("bad input: no session and not initialize → 400; unknown session → 404; malformed JSON → 400; GET without session → 400", async () => {
    await legacyServer();
    const alice = await tokenFor(gateway, "alice", "legacy");
    const notInit = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 3, method: "tools/list" }, alice),
    );
    expect(notInit.status).toBe(400);
    expect(((await notInit.json()) as { id: number; error: { code: number } }).id).toBe(3);

    const unknown = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 4, method: "tools/list" }, alice, { "mcp-session-id": "nope" }),
    );
    expect(unknown.status).toBe(404);

    const malformed = await fetch(`${gateway.url}/mcp/legacy`, {
      ...rpc({}, alice),
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    const batch = await fetch(`${gateway.url}/mcp/legacy`, rpc([INITIALIZE], alice));
    expect(batch.status).toBe(400);

    const get = await fetch(`${gateway.url}/mcp/legacy`, {
      headers: { authorization: `Bearer ${alice}`, accept: "text/event-stream" },
    });
    expect(get.status).toBe(400);
    expect(backend.received.length).toBe(0);
  });

  test("a GET stream receives what the server sends outside a request; a second GET → 409", async () => {
    await legacyServer();
    const alice = await tokenFor(gateway, "alice", "legacy");
    const init = await fetch(`${gateway.url}/mcp/legacy`, rpc(INITIALIZE, alice));
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await init.body?.cancel();
    const headers = {
      authorization: `Bearer ${alice}`,
      accept: "text/event-stream",
      "mcp-session-id": sessionId,
    };
    const stream = await fetch(`${gateway.url}/mcp/legacy`, { headers });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    const second = await fetch(`${gateway.url}/mcp/legacy`, { headers });
    expect(second.status).toBe(409);

    // A JSON-only call to `log`: its logging notification cannot ride on a JSON answer, so it goes to the GET stream.
    const call = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "log", arguments: {} } }, alice, {
        "mcp-session-id": sessionId,
        accept: "application/json",
      }),
    );
    expect(((await call.json()) as { result: { content: unknown } }).result.content).toEqual([
      { type: "text", text: "logged" },
    ]);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    while (!received.includes("legacy says hello")) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    expect(received).toContain('"method":"notifications/message"');
    await reader.cancel();
  });

  test("backend down → 502 with the request id; backend killed mid-request → the stream ends with an error and the session is gone", async () => {
    await legacyServer();
    const alice = await tokenFor(gateway, "alice", "legacy");
    const init = await fetch(`${gateway.url}/mcp/legacy`, rpc(INITIALIZE, alice));
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await init.body?.cancel();
    const session = { "mcp-session-id": sessionId };

    const hanging = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc(
        { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "hang", arguments: {} } },
        alice,
        session,
      ),
    );
    expect(hanging.status).toBe(200);
    backend.kill();
    const text = await hanging.text();
    expect(text).toContain('"id":6');
    expect(text).toContain("Backend connection closed");

    const after = await fetch(
      `${gateway.url}/mcp/legacy`,
      rpc({ jsonrpc: "2.0", id: 7, method: "ping" }, alice, session),
    );
    expect(after.status).toBe(404);

    await backend.close();
    const down = await fetch(`${gateway.url}/mcp/legacy`, rpc({ ...INITIALIZE, id: 77 }, alice));
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ id: 77, error: { code: -32000 } });
    const health = await gateway.app.decorator.gateway.health.check(
      gateway.app.decorator.gateway.registry.byName("legacy")!,
    );
    expect(health.status).toBe("offline");
  });

  test("a backend whose SSE stream never names its endpoint → 504 within the server timeout", async () => {
    const silent = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(new ReadableStream({ start() {} }), {
          headers: { "content-type": "text/event-stream" },
        }),
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "silent",
        url: `http://127.0.0.1:${silent.port}/sse`,
        transport: "sse",
        open_to_all: true,
        timeout_ms: 300,
      });
      const alice = await tokenFor(gateway, "alice", "silent");
      const response = await fetch(`${gateway.url}/mcp/silent`, rpc({ ...INITIALIZE, id: "i" }, alice));
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ id: "i", error: { code: -32000 } });
    } finally {
      silent.stop(true);
    }
  });

  test("an endpoint on another origin is refused (the backend cannot send the gateway elsewhere)", async () => {
    const evil = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response("event: endpoint\ndata: http://169.254.169.254/latest?x=1\n\n", {
          headers: { "content-type": "text/event-stream" },
        }),
    });
    try {
      await createServer(gateway, setup.adminToken, {
        name: "evil",
        url: `http://127.0.0.1:${evil.port}/sse`,
        transport: "sse",
        open_to_all: true,
      });
      const alice = await tokenFor(gateway, "alice", "evil");
      const response = await fetch(`${gateway.url}/mcp/evil`, rpc(INITIALIZE, alice));
      expect(response.status).toBe(502);
    } finally {
      evil.stop(true);
    }
  });

  test("health check over the legacy transport reports online", async () => {
    const server = await legacyServer();
    const { gateway: services } = gateway.app.decorator;
    const result = await services.health.check(services.registry.byId(server.id)!);
    expect(result.status).toBe("online");
    expect(result.lastError).toBeUndefined();
    for (let i = 0; i < 50 && backend.openStreams() > 0; i++) await Bun.sleep(10);
    expect(backend.openStreams()).toBe(0);
  });
});
