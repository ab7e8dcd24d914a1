import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  tokenFor,
} from "../gateway/helpers.ts";
import { jsonInit } from "../support/context.ts";
import { expectNoSecrets, only, stored } from "./helpers.ts";

let stage: GatewayWithUsers;
beforeAll(async () => {
  stage = await gatewayWithUsers();
  const { gateway, backend, setup } = stage;
  await createServer(gateway, setup.adminToken, { name: "open", url: backend.url, open_to_all: true });
  await createServer(gateway, setup.adminToken, { name: "locked", url: backend.url });
  const tools = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
  const granted = await gateway.request(
    `/admin/api/mcp-servers/${tools.id}/grants`,
    jsonInit(
      { user_id: setup.user.id, allowed_tools: ["echo"] },
      { headers: { authorization: `Bearer ${setup.adminToken}` } },
    ),
  );
  expect(granted.status).toBe(201);
});
afterAll(() => stage.close());

const url = (server: string) => `${stage.gateway.url}/mcp/${server}`;
const UA = { "user-agent": "mcp-test/2" };

async function openSession(server: string, token: string): Promise<string> {
  const response = await postMessage(url(server), INITIALIZE, { authorization: `Bearer ${token}` });
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get("mcp-session-id") as string;
}

describe("security events on /mcp/{server}", () => {
  test("an invalid or wrong-audience token is recorded (no token at all is not); the token is not", async () => {
    const { gateway } = stage;
    const garbage = "eyJhbGciOiJFUzI1NiJ9.garbage-token-value.signature";
    expect((await postMessage(url("open"), INITIALIZE)).status).toBe(401);
    expect(stored(gateway, "invalid_token")).toEqual([]);
    const bad = await postMessage(url("open"), INITIALIZE, { authorization: `Bearer ${garbage}`, ...UA });
    expect(bad.status).toBe(401);
    const forTools = await tokenFor(gateway, "alice", "tools");
    const wrongAudience = await postMessage(url("open"), INITIALIZE, { authorization: `Bearer ${forTools}` });
    expect(wrongAudience.status).toBe(401);
    const events = stored(gateway, "invalid_token");
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      ip: "127.0.0.1",
      userAgent: "mcp-test/2",
      severity: "low",
      details: { error: "invalid_token", resource: url("open") },
    });
    expect(events[1]?.details.resource).toBe(url("open"));
    expect(events[1]?.details.reason).toBeString();
    expectNoSecrets(gateway, [garbage, forTools]);
  });

  test("a server the user is not granted: permission_denied", async () => {
    const { gateway, setup } = stage;
    const token = await tokenFor(gateway, "alice", "locked");
    expect((await postMessage(url("locked"), INITIALIZE, { authorization: `Bearer ${token}` })).status).toBe(
      404,
    );
    const denied = stored(gateway, "permission_denied").filter((e) => e.details.server === "locked");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      userId: setup.user.id,
      clientId: "authmcp-gateway",
      ip: "127.0.0.1",
      details: { endpoint: "/mcp/{server}", reason: "server_not_granted" },
    });
    expectNoSecrets(gateway, [token]);
  });

  test("a tool the grant does not allow: permission_denied", async () => {
    const { gateway, setup } = stage;
    const token = await tokenFor(gateway, "alice", "tools");
    const sessionId = await openSession("tools", token);
    const call = await postMessage(
      url("tools"),
      { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "progress", arguments: { steps: 1 } } },
      { authorization: `Bearer ${token}`, "mcp-session-id": sessionId },
    );
    expect(call.status).toBe(200);
    expect(await call.text()).toContain("-32602");
    const denied = stored(gateway, "permission_denied").filter((e) => e.details.server === "tools");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ userId: setup.user.id, details: { reason: "tool_not_allowed" } });
    expectNoSecrets(gateway, [token, sessionId]);
  });

  test("a session id presented by another user: session_hijack, high, without the session id", async () => {
    const { gateway, setup } = stage;
    const alice = await tokenFor(gateway, "alice", "open");
    const mallory = await tokenFor(gateway, "mallory", "open");
    const sessionId = await openSession("open", alice);
    const stolen = await postMessage(
      url("open"),
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      { authorization: `Bearer ${mallory}`, "mcp-session-id": sessionId },
    );
    expect(stolen.status).toBe(404);
    expect(only(gateway, "session_hijack")).toMatchObject({
      userId: setup.other.id,
      severity: "high",
      ip: "127.0.0.1",
      details: { server: "open", sessionOwner: setup.user.id },
    });
    expectNoSecrets(gateway, [sessionId, alice, mallory]);
  });
});

describe("the MCP rate limit", () => {
  test("a request over RATE_LIMIT_MCP_MAX is recorded as rate_limited", async () => {
    const limited = await gatewayWithUsers({ RATE_LIMIT_MCP_MAX: "1" });
    try {
      const { gateway, backend, setup } = limited;
      await createServer(gateway, setup.adminToken, { name: "open", url: backend.url, open_to_all: true });
      const token = await tokenFor(gateway, "alice", "open");
      const target = `${gateway.url}/mcp/open`;
      expect((await postMessage(target, INITIALIZE, { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await postMessage(target, INITIALIZE, { authorization: `Bearer ${token}` })).status).toBe(429);
      expect(only(gateway, "rate_limited")).toMatchObject({
        userId: setup.user.id,
        ip: "127.0.0.1",
        details: { endpoint: "/mcp/{server}", limit: "mcp", server: "open" },
      });
      expectNoSecrets(gateway, [token]);
    } finally {
      await limited.close();
    }
  });
});
