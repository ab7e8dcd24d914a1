import { afterEach, describe, expect, test } from "bun:test";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  tokenFor,
} from "../gateway/helpers.ts";
import { testGateway } from "../support/context.ts";
import type { ListeningGateway } from "../support/server.ts";

let stage: GatewayWithUsers | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

function api(g: ListeningGateway, token: string, path: string, method: string, body?: unknown) {
  return g.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Requests of `token` on /mcp/shared until one is refused; returns the `q` (quota) of the 429's
 * RateLimit-Policy header and how many were served before it.
 */
async function quotaOf(
  g: ListeningGateway,
  token: string,
): Promise<{ served: number; policy: string | null }> {
  for (let served = 0; served < 20; served++) {
    const response = await postMessage(`${g.url}/mcp/shared`, INITIALIZE, {
      authorization: `Bearer ${token}`,
    });
    await response.body?.cancel();
    if (response.status === 429) return { served, policy: response.headers.get("ratelimit-policy") };
    expect(response.status).toBe(200);
  }
  return { served: 20, policy: null };
}

async function setUp() {
  stage = await gatewayWithUsers({ RATE_LIMIT_MCP_MAX: "100", RATE_LIMIT_MCP_WINDOW: "60" });
  const { gateway: g, backend } = stage;
  const { adminToken, user } = stage.setup;
  const server = await createServer(g, adminToken, { name: "shared", url: backend.url, open_to_all: true });
  const group = async (name: string, limit?: { max: number; window_seconds: number }) => {
    const created = (await (await api(g, adminToken, "/admin/api/groups", "POST", { name })).json()) as {
      id: string;
    };
    if (limit) await api(g, adminToken, `/admin/api/groups/${created.id}/rate-limit`, "PUT", limit);
    return created.id;
  };
  /** Starts every count afresh (the sliding window forgets after two windows). */
  const nextPeriod = () => g.clock.advance(130_000);
  return { g, adminToken, serverId: server.id, aliceId: user.id, group, nextPeriod };
}

describe("MCP rate-limit overrides per group", () => {
  test("precedence: the user's own, else the most generous of their groups', else the server's, else the default", async () => {
    const { g, adminToken, serverId, aliceId, group, nextPeriod } = await setUp();
    await api(g, adminToken, `/admin/api/mcp-servers/${serverId}/rate-limit`, "PUT", {
      max: 8,
      window_seconds: 60,
    });
    const slow = await group("slow", { max: 2, window_seconds: 60 });
    const fast = await group("fast", { max: 4, window_seconds: 60 });
    const read = await api(g, adminToken, `/admin/api/groups/${fast}/rate-limit`, "GET");
    expect(await read.json()).toEqual({ rate_limit: { max: 4, window_seconds: 60 }, source: "group" });
    const alice = await tokenFor(g, "alice", "shared");
    const mallory = await tokenFor(g, "mallory", "shared");

    // Not in a group yet: the server's limit.
    expect(await quotaOf(g, alice)).toEqual({ served: 8, policy: '"mcp";q=8;w=60' });
    nextPeriod();
    // In both groups: the most generous group's, even below the server's.
    await api(g, adminToken, `/admin/api/groups/${slow}/members/${aliceId}`, "PUT");
    await api(g, adminToken, `/admin/api/groups/${fast}/members/${aliceId}`, "PUT");
    expect(await quotaOf(g, alice)).toEqual({ served: 4, policy: '"mcp";q=4;w=60' });
    // Other users keep the server's.
    expect(await quotaOf(g, mallory)).toEqual({ served: 8, policy: '"mcp";q=8;w=60' });
    nextPeriod();
    // The user's own override wins over every group's.
    await api(g, adminToken, `/admin/api/users/${aliceId}/rate-limit`, "PUT", { max: 6, window_seconds: 60 });
    expect(await quotaOf(g, alice)).toEqual({ served: 6, policy: '"mcp";q=6;w=60' });
    nextPeriod();
    await api(g, adminToken, `/admin/api/users/${aliceId}/rate-limit`, "DELETE");
    // Leaving the generous group: the other group's applies from the next request.
    await api(g, adminToken, `/admin/api/groups/${fast}/members/${aliceId}`, "DELETE");
    expect(await quotaOf(g, alice)).toEqual({ served: 2, policy: '"mcp";q=2;w=60' });
    nextPeriod();
    // The group's override removed: the server's again.
    const removed = await api(g, adminToken, `/admin/api/groups/${slow}/rate-limit`, "DELETE");
    expect(await removed.json()).toEqual({ rate_limit: { max: 100, window_seconds: 60 }, source: "default" });
    expect(await quotaOf(g, alice)).toEqual({ served: 8, policy: '"mcp";q=8;w=60' });
  });

  test("most generous means the highest rate: 10 per 100 s gives way to 3 per 10 s", async () => {
    const { g, adminToken, aliceId, group } = await setUp();
    const wide = await group("wide", { max: 10, window_seconds: 100 });
    const brisk = await group("brisk", { max: 3, window_seconds: 10 });
    for (const id of [wide, brisk])
      await api(g, adminToken, `/admin/api/groups/${id}/members/${aliceId}`, "PUT");
    expect(await quotaOf(g, await tokenFor(g, "alice", "shared"))).toEqual({
      served: 3,
      policy: '"mcp";q=3;w=10',
    });
  });

  test("kept across restarts; a deleted group's override goes; unknown groups and bad bodies refused", async () => {
    const { g, adminToken, group } = await setUp();
    const kept = await group("kept", { max: 7, window_seconds: 70 });
    const gone = await group("gone", { max: 5, window_seconds: 50 });
    expect((await api(g, adminToken, `/admin/api/groups/${gone}`, "DELETE")).status).toBe(204);
    expect((await api(g, adminToken, "/admin/api/groups/nope/rate-limit", "GET")).status).toBe(404);
    expect(
      (await api(g, adminToken, "/admin/api/groups/nope/rate-limit", "PUT", { max: 1, window_seconds: 1 }))
        .status,
    ).toBe(404);
    expect((await api(g, adminToken, `/admin/api/groups/${kept}/rate-limit`, "PUT", { max: 0 })).status).toBe(
      400,
    );

    const again = await testGateway({}, { dir: g.dir, keepDir: true });
    try {
      expect(again.ctx.rateLimits.mcp.override("group", kept)).toEqual({
        name: "mcp",
        max: 7,
        windowSeconds: 70,
      });
      expect(again.ctx.rateLimits.mcp.override("group", gone)).toBeUndefined();
    } finally {
      await again.close();
    }
  });
});
