import { afterEach, describe, expect, test } from "bun:test";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  sdkClient,
  tokenFor,
} from "../gateway/helpers.ts";
import { login, testGateway } from "../support/context.ts";
import type { ListeningGateway } from "../support/server.ts";

let stage: GatewayWithUsers | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

async function setUp(env: Record<string, string>) {
  stage = await gatewayWithUsers(env);
  const { gateway, backend } = stage;
  const { adminToken, other } = stage.setup;
  const servers: Record<string, string> = {};
  for (const name of ["shared", "other"]) {
    servers[name] = (
      await createServer(gateway, adminToken, { name, url: backend.url, open_to_all: true })
    ).id;
  }
  const token = (user: string, server = "shared") => tokenFor(gateway, user, server);
  return { g: gateway, token, adminToken, servers, malloryId: other.id };
}

/** A request to the rate-limit admin API. */
function limitApi(g: ListeningGateway, adminToken: string, path: string, method: string, body?: unknown) {
  return g.request(path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A raw session of `token` on `server`: initialize and the initialized notification (two requests). */
async function session(g: ListeningGateway, token: string, server = "shared") {
  const url = `${g.url}/mcp/${server}`;
  const init = await postMessage(url, INITIALIZE, { authorization: `Bearer ${token}` });
  expect(init.status).toBe(200);
  const id = init.headers.get("mcp-session-id") as string;
  await init.body?.cancel();
  const headers = {
    authorization: `Bearer ${token}`,
    "mcp-session-id": id,
    "mcp-protocol-version": "2025-06-18",
  };
  await (
    await postMessage(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers)
  ).body?.cancel();
  return (rpcId: string | number) =>
    postMessage(
      url,
      {
        jsonrpc: "2.0",
        id: rpcId,
        method: "tools/call",
        params: { name: "echo", arguments: { text: `call ${rpcId}` } },
      },
      headers,
    );
}

const toolCallsSeen = (rpcId: string | number) =>
  (stage as GatewayWithUsers).backend.received.filter(
    (r) => (r.body as { id?: unknown } | undefined)?.id === rpcId,
  ).length;

describe("MCP requests per user and server (RATE_LIMIT_MCP_MAX / RATE_LIMIT_MCP_WINDOW)", () => {
  test("the N+1th request gets 429, the headers and a JSON-RPC error with its id; other users and servers go on", async () => {
    const { g, token } = await setUp({ RATE_LIMIT_MCP_MAX: "4", RATE_LIMIT_MCP_WINDOW: "10" });
    const alice = await token("alice");
    const call = await session(g, alice);
    for (const id of [7, 8]) {
      const ok = await call(id);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain(`call ${id}`);
    }
    const refused = await call("nine");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-policy")).toBe('"mcp";q=4;w=10');
    expect(refused.headers.get("ratelimit")).toMatch(/^"mcp";r=0;t=\d+$/);
    const body = (await refused.json()) as {
      jsonrpc: string;
      id: unknown;
      error: { code: number; message: string };
    };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.id).toBe("nine");
    expect(body.error.code).toBe(-32000);
    expect(body.error.message).toContain("Rate limit exceeded");
    expect(toolCallsSeen("nine")).toBe(0);

    // Another user on the same server: unaffected, through the SDK's own client.
    const { client } = await sdkClient(`${g.url}/mcp/shared`, await token("mallory"));
    const echo = await client.callTool({ name: "echo", arguments: { text: "mallory" } });
    expect(echo.content).toEqual([{ type: "text", text: "mallory" }]);
    await client.close();
    // The same user on another server: a count of its own.
    const elsewhere = await session(g, await token("alice", "other"), "other");
    expect((await elsewhere(1)).status).toBe(200);

    // The window slides: after two windows alice's first count is gone.
    g.clock.advance(20_000);
    const again = await call(10);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("call 10");
  });

  test("RATE_LIMIT_ENABLED=false: no MCP limit", async () => {
    const { g, token } = await setUp({ RATE_LIMIT_ENABLED: "false", RATE_LIMIT_MCP_MAX: "1" });
    const call = await session(g, await token("alice"));
    for (const id of [1, 2, 3]) expect((await call(id)).status).toBe(200);
  });
});

describe("overrides through the admin API", () => {
  test("a server's own limit applies to every user of that server, from the next request; DELETE restores the default", async () => {
    const { g, token, adminToken, servers } = await setUp({
      RATE_LIMIT_MCP_MAX: "100",
      RATE_LIMIT_MCP_WINDOW: "60",
    });
    const path = `/admin/api/mcp-servers/${servers.shared}/rate-limit`;
    expect(await (await limitApi(g, adminToken, path, "GET")).json()).toEqual({
      rate_limit: { max: 100, window_seconds: 60 },
      source: "default",
    });
    const put = await limitApi(g, adminToken, path, "PUT", { max: 3, window_seconds: 30 });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ rate_limit: { max: 3, window_seconds: 30 }, source: "server" });

    const call = await session(g, await token("alice"));
    expect((await call(1)).status).toBe(200);
    const refused = await call(2);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"mcp";q=3;w=30');
    expect(((await refused.json()) as { id: unknown }).id).toBe(2);
    // The other server keeps the default.
    const elsewhere = await session(g, await token("alice", "other"), "other");
    for (const id of [1, 2, 3]) expect((await elsewhere(id)).status).toBe(200);

    expect((await limitApi(g, adminToken, path, "DELETE")).status).toBe(200);
    expect((await call(3)).status).toBe(200);
  });

  test("a user's own limit wins over the server's and the default, for that user only", async () => {
    const { g, token, adminToken, servers, malloryId } = await setUp({ RATE_LIMIT_MCP_MAX: "100" });
    await limitApi(g, adminToken, `/admin/api/mcp-servers/${servers.shared}/rate-limit`, "PUT", {
      max: 50,
      window_seconds: 60,
    });
    const put = await limitApi(g, adminToken, `/admin/api/users/${malloryId}/rate-limit`, "PUT", {
      max: 3,
      window_seconds: 20,
    });
    expect(await put.json()).toEqual({ rate_limit: { max: 3, window_seconds: 20 }, source: "user" });
    const mallory = await session(g, await token("mallory"));
    expect((await mallory("a")).status).toBe(200);
    const refused = await mallory("b");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"mcp";q=3;w=20');
    expect(((await refused.json()) as { id: unknown }).id).toBe("b");
    const alice = await session(g, await token("alice"));
    for (const id of [1, 2, 3]) expect((await alice(id)).status).toBe(200);
  });

  test("kept across restarts; refused for unknown subjects, bad bodies and non-admins", async () => {
    const { g, adminToken, servers } = await setUp({});
    const path = `/admin/api/mcp-servers/${servers.shared}/rate-limit`;
    await limitApi(g, adminToken, path, "PUT", { max: 7, window_seconds: 70 });
    expect((await limitApi(g, adminToken, "/admin/api/mcp-servers/nope/rate-limit", "GET")).status).toBe(404);
    expect(
      (
        await limitApi(g, adminToken, "/admin/api/users/nope/rate-limit", "PUT", {
          max: 1,
          window_seconds: 1,
        })
      ).status,
    ).toBe(404);
    for (const bad of [
      { max: 0, window_seconds: 10 },
      { max: 5 },
      { max: 5, window_seconds: 10, extra: 1 },
      "x",
    ]) {
      expect((await limitApi(g, adminToken, path, "PUT", bad)).status).toBe(400);
    }
    const aliceToken = (await login(g, "alice")).access_token;
    expect((await limitApi(g, aliceToken, path, "PUT", { max: 1, window_seconds: 1 })).status).toBe(403);

    const again = await testGateway({}, { dir: g.dir, keepDir: true });
    try {
      expect(again.ctx.rateLimits.mcp.override("server", servers.shared as string)).toEqual({
        name: "mcp",
        max: 7,
        windowSeconds: 70,
      });
    } finally {
      await again.close();
    }
  });
});
