// The lean path of /mcp (src/gateway/aggregate/lean.ts): plain tools/call and tools/list answered
// as application/json; everything that needs the call's stream still streams.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { createServer, sdkClient } from "../gateway/helpers.ts";
import { createUser } from "../support/context.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
beforeAll(async () => {
  // Every tools/list page goes gzip-encoded to a client that takes it (the lists here are small).
  setup = await aggregateSetup({ MCP_AGGREGATE_LIST_GZIP_MIN_BYTES: "1" });
});
afterAll(async () => {
  await setup.close();
});

const ACCEPT = "application/json, text/event-stream";

/** A session opened by the SDK client (capabilities as given) and raw POSTs into it. */
async function rawSession(username: string, capabilities: Record<string, unknown> = {}) {
  const token = await setup.tokenFor(username);
  const { client, transport } = await sdkClient(`${setup.gateway.url}/mcp`, token, { capabilities });
  const post = (message: unknown) =>
    fetch(`${setup.gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: ACCEPT,
        "mcp-session-id": transport.sessionId as string,
        "mcp-protocol-version": "2025-11-25",
      },
      body: JSON.stringify(message),
    });
  return { client, post };
}

/** The tool names of a JSON tools/list answer. */
async function listedNames(response: Response): Promise<string[]> {
  expect(response.headers.get("content-type")).toStartWith("application/json");
  const body = (await response.json()) as { result: { tools: { name: string }[] } };
  return body.result.tools.map((tool) => tool.name).sort();
}

describe("/mcp lean path: plain requests answered as JSON", () => {
  test("a plain tools/call is answered as application/json with the client's id and the backend's result", async () => {
    const { client, post } = await rawSession("root");
    const response = await post({
      jsonrpc: "2.0",
      id: "call-1",
      method: "tools/call",
      params: { name: "beta__echo", arguments: { text: "lean" } },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: "call-1",
      result: { content: [{ type: "text", text: "beta:lean" }] },
    });
    // Structured errors pass through untouched.
    const failed = await post({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "alpha__fail" },
    });
    expect(((await failed.json()) as { result: unknown }).result).toEqual({
      isError: true,
      content: [{ type: "text", text: "it failed" }],
      structuredContent: { reason: "on purpose" },
    });
    // An unknown tool: the JSON-RPC error, as JSON.
    const unknown = await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "nope__x" } });
    const error = (await unknown.json()) as { id: number; error: { code: number; message: string } };
    expect(error.id).toBe(3);
    expect(error.error.code).toBe(-32602);
    expect(error.error.message).toContain("Unknown tool: nope__x");
    await client.close();
  });

  test("a call with a progress token, or from a client that may be asked for sampling, streams (SSE)", async () => {
    const plain = await rawSession("root");
    const withProgress = await plain.post({
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "beta__progress", arguments: { steps: 2 }, _meta: { progressToken: "p1" } },
    });
    expect(withProgress.headers.get("content-type")).toStartWith("text/event-stream");
    const events = await withProgress.text();
    expect(events).toContain('"progressToken":"p1"');
    expect(events).toContain('"id":4');
    await plain.client.close();

    const sampling = await rawSession("root", { sampling: {} });
    const call = await sampling.post({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: { name: "alpha__echo", arguments: { text: "s" } },
    });
    expect(call.headers.get("content-type")).toStartWith("text/event-stream");
    expect(await call.text()).toContain("alpha:s");
    // Its tools/list is still the cached JSON page.
    const listed = await sampling.post({ jsonrpc: "2.0", id: 6, method: "tools/list" });
    expect(await listedNames(listed)).toContain("alpha__echo");
    await sampling.client.close();
  });

  test("the cached tools/list page follows a grant revoked and given, and a backend's list_changed", async () => {
    const dave = await createUser(setup.gateway, "dave");
    const grant = (method: "PUT" | "DELETE", server: string) =>
      setup.gateway.request(`/admin/api/mcp-servers/${server}/users/${dave.id}`, {
        method,
        headers: { authorization: `Bearer ${setup.users.adminToken}` },
      });
    expect((await grant("PUT", setup.serverIds.alpha)).status).toBeLessThan(300);
    const { client, post } = await rawSession("dave");
    const first = await listedNames(await post({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
    expect(first).toContain("alpha__echo");
    expect(first.some((name) => name.startsWith("beta__"))).toBe(false);
    // Warm: the same page again.
    expect(await listedNames(await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }))).toEqual(first);

    expect((await grant("PUT", setup.serverIds.beta)).status).toBeLessThan(300);
    const widened = await listedNames(await post({ jsonrpc: "2.0", id: 3, method: "tools/list" }));
    expect(widened).toContain("beta__echo");

    expect((await grant("DELETE", setup.serverIds.alpha)).status).toBeLessThan(300);
    const narrowed = await listedNames(await post({ jsonrpc: "2.0", id: 4, method: "tools/list" }));
    expect(narrowed.some((name) => name.startsWith("alpha__"))).toBe(false);
    expect(narrowed).toContain("beta__echo");

    // The backend adds a tool and says so: the next list has it.
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    setup.backends.beta.addTool("fresh");
    await changed;
    const fresh = await listedNames(await post({ jsonrpc: "2.0", id: 5, method: "tools/list" }));
    expect(fresh).toContain("beta__fresh");
    await client.close();
  });
});

describe("/mcp lean path: answers and routing", () => {
  test("lean answers carry the sandbox headers and their own session's id (plain, gzip, with an allowed Origin)", async () => {
    const first = await rawSession("root");
    const second = await rawSession("root");
    const token = await setup.tokenFor("root");
    const sessionOf = async (post: typeof first.post) => {
      const answer = await post({ jsonrpc: "2.0", id: 1, method: "ping" });
      return answer.headers.get("mcp-session-id");
    };
    const ids = [await sessionOf(first.post), await sessionOf(second.post)];
    expect(ids[0]).not.toBe(ids[1]);
    const call = {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "alpha__echo", arguments: { text: "h" } },
    };
    const list = { jsonrpc: "2.0", id: 8, method: "tools/list" };
    for (const [index, sessionId] of ids.entries()) {
      for (const [body, encoding, origin] of [
        [call, "identity", null],
        [list, "identity", null],
        [list, "gzip", null],
        [call, "identity", "https://app.example"],
      ] as const) {
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: ACCEPT,
          "accept-encoding": encoding,
          "mcp-session-id": sessionId as string,
          "mcp-protocol-version": "2025-11-25",
        };
        if (origin !== null) headers.origin = origin;
        const response = await fetch(`${setup.gateway.url}/mcp`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          decompress: false,
        });
        const label = `session ${index} ${body.method} ${encoding} ${origin ?? "no origin"}`;
        expect(response.status, label).toBe(200);
        expect(response.headers.get("mcp-session-id"), label).toBe(sessionId);
        expect(response.headers.get("content-type"), label).toStartWith("application/json");
        expect(response.headers.get("content-security-policy"), label).toBe(
          "default-src 'none'; sandbox; frame-ancestors 'none'",
        );
        expect(response.headers.get("x-content-type-options"), label).toBe("nosniff");
        expect(response.headers.get("referrer-policy"), label).toBe("no-referrer");
        expect(response.headers.get("access-control-allow-origin"), label).toBe(origin);
        if (encoding === "gzip") {
          expect(response.headers.get("content-encoding"), label).toBe("gzip");
          expect(response.headers.get("vary"), label).toBe("Accept-Encoding");
          const text = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await response.arrayBuffer())));
          expect((JSON.parse(text) as { id: number }).id, label).toBe(8);
        } else {
          expect(response.headers.get("content-encoding"), label).toBeNull();
          expect(((await response.json()) as { id: number }).id, label).toBe(body.id);
        }
      }
    }
    await first.client.close();
    await second.client.close();
  });

  test("a tool call follows its server disabled and enabled again on the very next request", async () => {
    const { client, post } = await rawSession("root");
    const call = async (id: number) =>
      (await (
        await post({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "gamma__echo", arguments: { text: "g" } },
        })
      ).json()) as { result?: { content: unknown }; error?: { code: number; message: string } };
    const patch = (enabled: boolean) =>
      setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.gamma}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ enabled }),
      });
    expect((await call(1)).result?.content).toEqual([{ type: "text", text: "gamma:g" }]);
    expect((await patch(false)).status).toBe(200);
    try {
      const refused = await call(2);
      expect(refused.error?.code).toBe(-32602);
      expect(refused.error?.message).toContain("Unknown tool: gamma__echo");
    } finally {
      expect((await patch(true)).status).toBe(200);
    }
    expect((await call(3)).result?.content).toEqual([{ type: "text", text: "gamma:g" }]);
    await client.close();
  });
});

describe("/mcp lean path: the server's timeout", () => {
  test("a plain call past the server's timeout_ms → -32001 as JSON, and the backend hears it cancelled", async () => {
    const patched = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.gamma}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ timeout_ms: 300 }),
    });
    expect(patched.status).toBe(200);
    const { client, post } = await rawSession("root");
    const cancelledBefore = setup.backends.gamma.count("notifications/cancelled");
    const response = await post({
      jsonrpc: "2.0",
      id: "late",
      method: "tools/call",
      params: { name: "gamma__slow", arguments: {} },
    });
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const body = (await response.json()) as { id: string; error: { code: number; message: string } };
    expect(body.id).toBe("late");
    expect(body.error.code).toBe(-32001);
    expect(body.error.message).toContain("timed out");
    while (setup.backends.gamma.count("notifications/cancelled") === cancelledBefore) await Bun.sleep(5);
    await client.close();
  });
});

describe("/mcp lean path: a backend that answers JSON", () => {
  test("its result, and its own JSON-RPC error, come back as it sent them, with the client's id", async () => {
    // A sessionless backend answering every request as application/json (no SSE).
    const seen: { id: unknown; method: string }[] = [];
    const backend = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        if (request.method !== "POST") return new Response(null, { status: 405 });
        const message = (await request.json()) as {
          id?: unknown;
          method: string;
          params?: { name?: string };
        };
        seen.push({ id: message.id, method: message.method });
        if (message.id === undefined) return new Response(null, { status: 202 });
        const answer = (body: Record<string, unknown>) =>
          Response.json({ jsonrpc: "2.0", id: message.id, ...body });
        if (message.method === "initialize")
          return answer({
            result: {
              protocolVersion: "2025-06-18",
              capabilities: { tools: {} },
              serverInfo: { name: "plain", version: "1" },
            },
          });
        if (message.method === "tools/list")
          return answer({
            result: {
              tools: [
                { name: "hi", inputSchema: { type: "object" } },
                { name: "broken", inputSchema: { type: "object" } },
              ],
            },
          });
        if (message.params?.name === "broken")
          return answer({ error: { code: -32603, message: "backend broke", data: { why: "test" } } });
        return answer({ result: { content: [{ type: "text", text: "hello" }], _meta: { from: "plain" } } });
      },
    });
    try {
      await createServer(setup.gateway, setup.users.adminToken, {
        name: "plain",
        url: `http://127.0.0.1:${backend.port}/mcp`,
      });
      const { client, post } = await rawSession("root");
      const ok = await post({ jsonrpc: "2.0", id: 41, method: "tools/call", params: { name: "plain__hi" } });
      expect(await ok.json()).toEqual({
        jsonrpc: "2.0",
        id: 41,
        result: { content: [{ type: "text", text: "hello" }], _meta: { from: "plain" } },
      });
      const broken = await post({
        jsonrpc: "2.0",
        id: 42,
        method: "tools/call",
        params: { name: "plain__broken" },
      });
      expect(await broken.json()).toEqual({
        jsonrpc: "2.0",
        id: 42,
        error: { code: -32603, message: "backend broke", data: { why: "test" } },
      });
      // The backend saw the gateway's own request ids, not the client's.
      const calls = seen.filter((message) => message.method === "tools/call");
      expect(calls).toHaveLength(2);
      expect(calls.map((call) => call.id)).not.toContain(41);
      await client.close();
    } finally {
      backend.stop(true);
    }
  });
});
