import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { adminAndUser, createServer, sdkClient, tokenFor } from "../gateway/helpers.ts";
import { startLegacySseBackend } from "../support/legacy-sse-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

let gateway: ListeningGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeEach(async () => {
  gateway = await listeningGateway();
  setup = await adminAndUser(gateway);
});
afterEach(async () => {
  await gateway.close();
});

describe("the access decision as a service (for the aggregated endpoint too)", () => {
  test("toolFilter: undefined without tool rules, a predicate with them, nothing for no access; changes seen at once", async () => {
    const { policy, registry, groups } = gateway.app.decorator.gateway;
    const server = await createServer(gateway, setup.adminToken, {
      name: "tools",
      url: "http://127.0.0.1:9/mcp",
    });
    const alice = gateway.ctx.users.principal(setup.user.id);
    const root = gateway.ctx.users.principal(setup.admin.id);
    if (!alice || !root) throw new Error("no principals");

    expect(policy.toolFilter(alice, server.id)?.("echo")).toBe(false);
    expect(policy.toolFilter(root, server.id)).toBeUndefined();
    expect(policy.toolFilter(alice, "srv_unknown")?.("echo")).toBe(false);

    const own = policy.addGrant({
      serverId: server.id,
      principalType: "user",
      principalId: alice.id,
      allowedTools: null,
      deniedTools: [],
    });
    expect(policy.toolFilter(alice, server.id)).toBeUndefined();
    const registered = registry.byId(server.id);
    if (!registered) throw new Error("server not registered");
    expect(registry.canAccess(registered, alice)).toBe(true);

    const group = groups.create({ name: "readers" });
    if (!group.ok) throw new Error(group.message);
    policy.addMember(group.group.id, alice.id);
    policy.addGrant({
      serverId: server.id,
      principalType: "group",
      principalId: group.group.id,
      allowedTools: ["read"],
      deniedTools: ["delete"],
    });
    const filter = policy.toolFilter(alice, server.id);
    expect(filter?.("read")).toBe(true);
    expect(filter?.("echo")).toBe(true); // her own grant allows every tool
    expect(filter?.("delete")).toBe(false); // a group's denial wins

    policy.removeGrant(own.id);
    const narrowed = policy.toolFilter(alice, server.id);
    expect(narrowed?.("read")).toBe(true);
    expect(narrowed?.("echo")).toBe(false);
  });

  test("a legacy HTTP+SSE backend's tools/list is filtered and a denied call refused too", async () => {
    const legacy = await startLegacySseBackend();
    try {
      const server = await createServer(gateway, setup.adminToken, {
        name: "old",
        url: legacy.url,
        transport: "sse",
      });
      gateway.app.decorator.gateway.policy.addGrant({
        serverId: server.id,
        principalType: "user",
        principalId: setup.user.id,
        allowedTools: ["echo"],
        deniedTools: [],
      });
      const token = await tokenFor(gateway, "alice", "old");
      const { client } = await sdkClient(`${gateway.url}/mcp/old`, token);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
      expect((await client.callTool({ name: "echo", arguments: { text: "hi" } })).content).toEqual([
        { type: "text", text: "hi" },
      ]);
      await expect(client.callTool({ name: "log" })).rejects.toThrow();
      const calls = legacy.received
        .map((r) => r.body as { method?: string; params?: { name?: string } } | undefined)
        .filter((b) => b?.method === "tools/call")
        .map((b) => b?.params?.name);
      expect(calls).toEqual(["echo"]);
      await client.close();
    } finally {
      await legacy.close();
    }
  });
});
