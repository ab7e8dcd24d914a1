// Issue #13 on /mcp: per-user MCP rate limits, activity rows and security events.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { createUser } from "../support/context.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

const LIMIT = 3;
let setup: AggregateSetup;
const rows: McpActivity[] = [];
const events: SecurityEvent[] = [];
beforeAll(async () => {
  setup = await aggregateSetup({ RATE_LIMIT_MCP_MAX: String(LIMIT), RATE_LIMIT_MCP_WINDOW: "60" });
  setup.gateway.ctx.activity.subscribe((row) => rows.push(row));
  setup.gateway.ctx.securityEvents.subscribe((event) => events.push(event));
});
afterAll(async () => {
  await setup.close();
});

const ACCEPT = "application/json, text/event-stream";

/** A session opened by raw initialize; `post` sends one message into it. */
async function session(username: string, version = "2025-11-25") {
  const token = await setup.tokenFor(username);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: ACCEPT };
  const init = await fetch(`${setup.gateway.url}/mcp`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "audit", version: "1" } },
    }),
  });
  expect(init.status).toBe(200);
  await init.text();
  const sessionId = init.headers.get("mcp-session-id") as string;
  const post = (message: unknown, extra: Record<string, string> = {}) =>
    fetch(`${setup.gateway.url}/mcp`, {
      method: "POST",
      headers: { ...headers, "mcp-session-id": sessionId, "mcp-protocol-version": version, ...extra },
      body: JSON.stringify(message),
    });
  return { token, sessionId, post };
}

const call = (id: number | string, name: string) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: { text: "x" } },
});

/** Waits for the row of a request (SDK-path rows come when the answer is sent). */
async function rowOf(predicate: (row: McpActivity) => boolean): Promise<McpActivity> {
  for (let i = 0; i < 400; i++) {
    const found = rows.find(predicate);
    if (found) return found;
    await Bun.sleep(5);
  }
  throw new Error("no such activity row");
}

describe("/mcp: per-user rate limits per server (RATE_LIMIT_MCP_MAX)", () => {
  test("the call over the limit → 429 with Retry-After, RateLimit headers and a JSON-RPC error with its id; other users and servers unaffected; lists not counted", async () => {
    const root = await session("root");
    for (let i = 0; i < 5; i++)
      expect((await root.post({ jsonrpc: "2.0", id: 100 + i, method: "tools/list" })).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) {
      const ok = await root.post(call(i + 1, "alpha__echo"));
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { result: unknown }).result).toBeDefined();
    }
    const refused = await root.post(call("over", "alpha__echo"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-policy")).toContain(`q=${LIMIT}`);
    expect(refused.headers.get("ratelimit")).toContain("r=0");
    const body = (await refused.json()) as { id: string; error: { code: number; message: string } };
    expect(body.id).toBe("over");
    expect(body.error.message).toContain("Rate limit exceeded");
    // The backend never saw it.
    expect(setup.backends.alpha.seen.filter((r) => r.rpc === "tools/call").length).toBe(LIMIT);

    // Another server of the same user, and the same server for another user: still served.
    expect((await root.post(call(20, "beta__echo"))).status).toBe(200);
    const alice = await session("alice");
    const hers = await alice.post(call(1, "alpha__echo"));
    expect(hers.status).toBe(200);
    expect(((await hers.json()) as { result: { content: unknown } }).result.content).toEqual([
      { type: "text", text: "alpha:x" },
    ]);

    // A call on the SDK path (progress token) over the limit: 429 all the same.
    const streamed = await root.post({
      ...call(21, "alpha__progress"),
      params: { name: "alpha__progress", arguments: { steps: 1 }, _meta: { progressToken: 1 } },
    });
    expect(streamed.status).toBe(429);

    const event = events.find((e) => e.type === "rate_limited" && e.userId === setup.users.admin.id);
    expect(event?.details).toMatchObject({ endpoint: "/mcp", server: "alpha", method: "tools/call" });
    const row = await rowOf((r) => r.outcome === "rate_limited" && r.target === "alpha__echo");
    expect(row).toMatchObject({
      httpStatus: 429,
      server: "alpha",
      rpcErrorCode: -32000,
      endpoint: "aggregate",
    });
  });

  test("inside a batch (2025-03-26) the refused call gets its JSON-RPC error in the stream; the others answer", async () => {
    const root = await session("root", "2025-03-26");
    // alpha is spent for root by the test above (the window is a minute of the fake clock).
    const response = await root.post([call("b1", "alpha__echo"), call("b2", "gamma__echo")]);
    expect(response.status).toBe(200);
    const text = await response.text();
    const messages = text
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map(
        (line) => JSON.parse(line.slice(5)) as { id: string; error?: { message: string }; result?: unknown },
      );
    const b1 = messages.find((m) => m.id === "b1");
    const b2 = messages.find((m) => m.id === "b2");
    expect(b1?.error?.message).toContain("Rate limit exceeded");
    expect(b2?.result).toBeDefined();
  });
});

describe("/mcp: activity rows and security events", () => {
  test("a tools/call, an error and a denied call each leave a row with the right fields; the denial is a permission_denied event", async () => {
    const erin = await createUser(setup.gateway, "erin");
    const granted = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.beta}/grants`, {
      method: "POST",
      headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: erin.id, allowed_tools: ["echo"] }),
    });
    expect(granted.status).toBe(201);
    const { sessionId, post, token } = await session("erin");
    const ok = await post(call(1, "beta__echo"));
    const okText = await ok.text();
    const row = await rowOf((r) => r.userId === erin.id && r.target === "beta__echo");
    expect(row).toMatchObject({
      endpoint: "aggregate",
      server: "beta",
      method: "tools/call",
      target: "beta__echo",
      outcome: "ok",
      httpStatus: 200,
      rpcErrorCode: null,
      sessionId,
      ip: "127.0.0.1",
      responseBytes: Buffer.byteLength(okText),
    });
    expect(row.clientId).toBeTruthy();
    expect(row.requestBytes).toBe(JSON.stringify(call(1, "beta__echo")).length);
    expect(row.latencyMs).toBeGreaterThanOrEqual(0);

    await (await post(call(2, "beta__nope"))).text();
    const error = await rowOf((r) => r.userId === erin.id && r.target === "beta__nope");
    expect(error).toMatchObject({ outcome: "error", rpcErrorCode: -32602, server: "", httpStatus: 200 });

    const denied = (await (await post(call(3, "beta__whoami"))).json()) as { error: { code: number } };
    expect(denied.error.code).toBe(-32602);
    const deniedRow = await rowOf((r) => r.userId === erin.id && r.target === "beta__whoami");
    expect(deniedRow).toMatchObject({ outcome: "denied", server: "beta", rpcErrorCode: -32602 });
    const event = events.find((e) => e.type === "permission_denied" && e.userId === erin.id);
    expect(event?.details).toMatchObject({ endpoint: "/mcp", server: "beta", tool: "whoami" });
    // The same on the SDK path (a progress token): one event per denied call.
    await (
      await post({
        ...call(4, "beta__whoami"),
        params: { name: "beta__whoami", _meta: { progressToken: 9 } },
      })
    ).text();
    expect(events.filter((e) => e.type === "permission_denied" && e.userId === erin.id)).toHaveLength(2);
    const streamed = await rowOf(
      (r) => r.userId === erin.id && r.target === "beta__whoami" && r.responseBytes === null,
    );
    expect(streamed).toMatchObject({ outcome: "denied", rpcErrorCode: -32602, httpStatus: 200 });
    for (const recorded of events) {
      const text = JSON.stringify(recorded);
      expect(text).not.toContain(token);
      expect(text).not.toContain(sessionId);
    }
  });

  test("a session id presented by another user → 404 and a session_hijack event with a short prefix only", async () => {
    const root = await session("root");
    const mallory = await setup.tokenFor("mallory");
    const response = await fetch(`${setup.gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${mallory}`,
        "content-type": "application/json",
        accept: ACCEPT,
        "mcp-session-id": root.sessionId,
        "mcp-protocol-version": "2025-11-25",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(404);
    const event = events.find((e) => e.type === "session_hijack");
    expect(event).toMatchObject({ userId: setup.users.other.id, ip: "127.0.0.1" });
    expect(event?.details).toMatchObject({ endpoint: "/mcp", ownerId: setup.users.admin.id });
    expect(event?.details.sessionIdPrefix).toBe(root.sessionId.slice(0, 8));
    const text = JSON.stringify(event);
    expect(text).not.toContain(root.sessionId);
    expect(text).not.toContain(mallory);
    expect(text).not.toContain(root.token);
  });
});
