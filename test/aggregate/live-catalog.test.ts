import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { startToolBackend } from "./backends.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
beforeEach(async () => {
  setup = await aggregateSetup();
});
afterEach(async () => {
  await setup.close();
});

const names = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name).sort();
const of = (server: string, listed: string[]) => listed.filter((name) => name.startsWith(`${server}__`));

/**
 * Counts the client's `notifications/tools/list_changed`; `next()` resolves on the next one not
 * waited for yet, and fails after a bound (never a timing assertion: only a guard against hanging).
 */
function listChanges(client: Client) {
  let seen = 0;
  let waited = 0;
  const waiters: (() => void)[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    seen++;
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    get count() {
      return seen;
    },
    async next(): Promise<void> {
      const target = ++waited;
      const deadline = Date.now() + 10_000;
      while (seen < target) {
        if (Date.now() > deadline) throw new Error("no notifications/tools/list_changed came");
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), Bun.sleep(200)]);
      }
    },
  };
}

const admin = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: {
    authorization: `Bearer ${setup.users.adminToken}`,
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

describe("/mcp follows permission changes", () => {
  test("a grant revoked: list_changed, the server's tools leave the list, its calls are refused", async () => {
    const { client } = await setup.connect("alice");
    const changes = listChanges(client);
    expect(of("beta", await names(client))).toContain("beta__echo");
    expect((await client.callTool({ name: "beta__echo", arguments: { text: "x" } })).content).toEqual([
      { type: "text", text: "beta:x" },
    ]);
    const revoked = await setup.gateway.request(
      `/admin/api/mcp-servers/${setup.serverIds.beta}/users/${setup.users.user.id}`,
      admin("DELETE"),
    );
    expect(revoked.status).toBeLessThan(300);
    await changes.next();
    const listed = await names(client);
    expect(of("beta", listed)).toEqual([]);
    expect(listed).toContain("alpha__echo");
    await expect(client.callTool({ name: "beta__echo", arguments: { text: "x" } })).rejects.toMatchObject({
      code: -32602,
    });
    await client.close();
  });

  test("a grant given: list_changed, the server's tools appear and answer", async () => {
    const { client } = await setup.connect("alice");
    const changes = listChanges(client);
    expect(of("gamma", await names(client))).toEqual([]);
    const granted = await setup.gateway.request(
      `/admin/api/mcp-servers/${setup.serverIds.gamma}/users/${setup.users.user.id}`,
      admin("PUT"),
    );
    expect(granted.status).toBeLessThan(300);
    await changes.next();
    expect(of("gamma", await names(client))).toContain("gamma__echo");
    const called = await client.callTool({ name: "gamma__echo", arguments: { text: "y" } });
    expect(called.content).toEqual([{ type: "text", text: "gamma:y" }]);
    await client.close();
  });

  test("a group membership given and taken: list_changed each time, the group's tool rules apply", async () => {
    const { groups, policy } = setup.gateway.app.decorator.gateway;
    const created = groups.create({ name: "gamma-echo" });
    if (!created.ok) throw new Error(created.message);
    const groupId = created.group.id;
    policy.addGrant({
      serverId: setup.serverIds.gamma,
      principalType: "group",
      principalId: groupId,
      allowedTools: ["echo"],
      deniedTools: [],
    });
    const { client } = await setup.connect("alice");
    const changes = listChanges(client);
    expect(of("gamma", await names(client))).toEqual([]);
    const member = `/admin/api/groups/${groupId}/members/${setup.users.user.id}`;
    expect((await setup.gateway.request(member, admin("PUT"))).status).toBeLessThan(300);
    await changes.next();
    expect(of("gamma", await names(client))).toEqual(["gamma__echo"]);
    expect((await setup.gateway.request(member, admin("DELETE"))).status).toBeLessThan(300);
    await changes.next();
    expect(of("gamma", await names(client))).toEqual([]);
    await client.close();
  });

  test("a user made admin hears list_changed and then sees every server; another user is not told", async () => {
    const { client } = await setup.connect("alice");
    const changes = listChanges(client);
    const other = await setup.connect("root");
    const otherChanges = listChanges(other.client);
    expect(of("gamma", await names(client))).toEqual([]);
    await names(other.client);
    const patched = await setup.gateway.request(
      `/admin/api/users/${setup.users.user.id}`,
      admin("PATCH", { is_admin: true }),
    );
    expect(patched.status).toBe(200);
    await changes.next();
    expect(of("gamma", await names(client))).toContain("gamma__echo");
    // root's session is untouched by alice's change (a round trip on its stream first).
    await names(other.client);
    expect(otherChanges.count).toBe(0);
    await client.close();
    await other.client.close();
  });
});

describe("/mcp catalog follows health checks", () => {
  test("a stopped backend leaves the list after a health check, and comes back after the next", async () => {
    const { health, registry } = setup.gateway.app.decorator.gateway;
    const alphaServer = () => registry.byId(setup.serverIds.alpha)!;
    const { client } = await setup.connect("root");
    const changes = listChanges(client);
    expect(of("alpha", await names(client))).toContain("alpha__echo");

    const port = setup.backends.alpha.port;
    await setup.backends.alpha.stop();
    expect((await health.check(alphaServer())).status).toBe("offline");
    await changes.next();
    const without = await names(client);
    expect(of("alpha", without)).toEqual([]);
    expect(without).toContain("beta__echo");

    setup.backends.alpha = await startToolBackend("alpha", { port });
    expect((await health.check(alphaServer())).status).not.toBe("offline");
    await changes.next();
    expect(of("alpha", await names(client))).toContain("alpha__echo");
    const called = await client.callTool({ name: "alpha__echo", arguments: { text: "back" } });
    expect(called.content).toEqual([{ type: "text", text: "alpha:back" }]);
    await client.close();
  });

  test("a health check of a backend that did not change asks it for no list", async () => {
    const { health, registry } = setup.gateway.app.decorator.gateway;
    const { client } = await setup.connect("root");
    await names(client);
    const before = setup.backends.beta.count("tools/list");
    expect((await health.check(registry.byId(setup.serverIds.beta)!)).status).not.toBe("offline");
    await health.checkAll();
    expect(setup.backends.beta.count("tools/list")).toBe(before);
    await names(client);
    expect(setup.backends.beta.count("tools/list")).toBe(before);
    await client.close();
  });
});

describe("the access policy's change event", () => {
  test("names the users a change concerns, or all for a server change", async () => {
    const { policy, groups } = setup.gateway.app.decorator.gateway;
    const heard: (readonly string[] | "all")[] = [];
    policy.onChange((users) => heard.push(users));
    const alice = setup.users.user.id;
    const group = groups.create({ name: "team" });
    if (!group.ok) throw new Error(group.message);
    policy.addMember(group.group.id, alice);
    const grant = policy.addGrant({
      serverId: setup.serverIds.gamma,
      principalType: "group",
      principalId: group.group.id,
      allowedTools: null,
      deniedTools: [],
    });
    policy.removeGrant(grant.id);
    policy.revokeUser(setup.serverIds.alpha, alice);
    groups.remove(group.group.id);
    const patched = await setup.gateway.request(
      `/admin/api/mcp-servers/${setup.serverIds.gamma}`,
      admin("PATCH", { timeout_ms: 5000 }),
    );
    expect(patched.status).toBe(200);
    expect(heard).toEqual([[alice], [alice], [alice], [alice], [alice], "all"]);
  });
});
