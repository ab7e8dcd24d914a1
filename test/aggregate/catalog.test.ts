import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { createServer } from "../gateway/helpers.ts";
import { startFlakyProxy, startToolBackend } from "./backends.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

const LONG_TOOL = `a_tool_whose_name_is_long_enough_to_push_the_aggregated_name_beyond_64_${"x".repeat(8)}`;
const ILLEGAL_TOOL = "odd name:with/slash";

let setup: AggregateSetup;
beforeEach(async () => {
  setup = await aggregateSetup({}, { gamma: [LONG_TOOL, ILLEGAL_TOOL] });
});
afterEach(async () => {
  await setup.close();
});

const names = (tools: { name: string }[]) => tools.map((tool) => tool.name).sort();

describe("merged catalog of /mcp: changes and failures", () => {
  test("long and illegal names are shortened (≤ 64, legal), callable, and the same on another instance", async () => {
    const { client } = await setup.connect("root");
    const { tools } = await client.listTools();
    const shortened = tools.filter(
      (tool) => tool.name.startsWith("gamma__") && tool.description?.startsWith("The tool"),
    );
    expect(shortened).toHaveLength(2);
    for (const tool of shortened) {
      expect(tool.name.length).toBeLessThanOrEqual(64);
      expect(tool.name).toMatch(/^[A-Za-z0-9_.-]+$/);
    }
    const long = shortened.find((tool) => tool.description === `The tool ${LONG_TOOL}`);
    const odd = shortened.find((tool) => tool.description === `The tool ${ILLEGAL_TOOL}`);
    expect(long?.name).toStartWith("gamma__a_tool_whose_name");
    expect(odd?.name).toStartWith("gamma__odd_name_with_slash_");
    const called = await client.callTool({ name: long?.name ?? "", arguments: {} });
    expect(called.content).toEqual([{ type: "text", text: LONG_TOOL }]);
    const calledOdd = await client.callTool({ name: odd?.name ?? "", arguments: {} });
    expect(calledOdd.content).toEqual([{ type: "text", text: ILLEGAL_TOOL }]);
    await client.close();

    // A second gateway (another instance, or this one restarted) names them the same.
    const other = await aggregateSetup({}, { gamma: [LONG_TOOL, ILLEGAL_TOOL] });
    try {
      const second = await other.connect("root");
      const again = names((await second.client.listTools()).tools);
      expect(again).toContain(long?.name ?? "missing");
      expect(again).toContain(odd?.name ?? "missing");
      await second.client.close();
    } finally {
      await other.close();
    }
  });

  test("a server changed through the admin API is re-listed and announced", async () => {
    const { client } = await setup.connect("root");
    expect(names((await client.listTools()).tools)).toContain("gamma__echo");
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    const patched = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.gamma}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    expect(patched.status).toBe(200);
    await changed;
    expect(names((await client.listTools()).tools).some((name) => name.startsWith("gamma__"))).toBe(false);
    await client.close();
  });

  test("a killed backend: its calls error, the others answer, tools/list keeps the healthy servers", async () => {
    const { client } = await setup.connect("root");
    await client.listTools();
    await setup.backends.beta.stop();
    await expect(client.callTool({ name: "beta__echo", arguments: { text: "x" } })).rejects.toMatchObject({
      code: -32000,
    });
    const alpha = await client.callTool({ name: "alpha__echo", arguments: { text: "x" } });
    expect(alpha.content).toEqual([{ type: "text", text: "alpha:x" }]);

    // A fresh catalog (the server changed) without beta answering: the healthy servers' tools.
    const cold = await setup.connect("root");
    const patched = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.beta}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ timeout_ms: 2000 }),
    });
    expect(patched.status).toBe(200);
    const listed = names((await cold.client.listTools()).tools);
    expect(listed).toContain("alpha__echo");
    expect(listed).toContain("gamma__echo");
    expect(listed.some((name) => name.startsWith("beta__"))).toBe(false);
    await expect(
      cold.client.callTool({ name: "beta__echo", arguments: { text: "x" } }),
    ).rejects.toMatchObject({
      code: -32000,
    });
    await client.close();
    await cold.client.close();
  });

  test("a backend that lost its session (404) is re-initialised without the client noticing", async () => {
    const { client } = await setup.connect("root");
    expect((await client.callTool({ name: "alpha__whoami", arguments: {} })).content).toEqual([
      { type: "text", text: "alpha" },
    ]);
    const port = setup.backends.alpha.port;
    await setup.backends.alpha.stop();
    const restarted = await startToolBackend("alpha", { port });
    setup.backends.alpha = restarted;
    const again = await client.callTool({ name: "alpha__echo", arguments: { text: "back" } });
    expect(again.content).toEqual([{ type: "text", text: "alpha:back" }]);
    expect(restarted.count("initialize")).toBe(1);
    expect(
      restarted.seen.filter((r) => r.rpc === "tools/call" && r.headers.get("mcp-session-id") !== null),
    ).not.toHaveLength(0);
    await client.close();
  });

  test("an idempotent tool is retried once when the connection fails before an answer; no other tool is", async () => {
    const proxy = startFlakyProxy(setup.backends.alpha.port, ['"name":"lookup"', '"name":"append"']);
    try {
      await createServer(setup.gateway, setup.users.adminToken, {
        name: "flaky",
        url: proxy.url,
        credential: { type: "bearer", token: "backend-secret-flaky" },
      });
      const { client } = await setup.connect("root");
      const calls = (tool: string) =>
        setup.backends.alpha.seen.filter(
          (r) => r.rpc === "tools/call" && (r.body as { params?: { name?: string } }).params?.name === tool,
        ).length;
      const looked = await client.callTool({ name: "flaky__lookup", arguments: {} });
      expect(looked.content).toEqual([{ type: "text", text: "alpha looked up" }]);
      expect(proxy.cut()).toBe(1);
      expect(calls("lookup")).toBe(1); // the cut attempt never reached it; the retry did
      await expect(client.callTool({ name: "flaky__append", arguments: {} })).rejects.toMatchObject({
        code: -32000,
      });
      expect(proxy.cut()).toBe(2);
      expect(calls("append")).toBe(0); // not retried
      await client.close();
    } finally {
      proxy.stop();
    }
  });

  test("MCP_AGGREGATE_TOOL_SEPARATOR changes the separator", async () => {
    const dotted = await aggregateSetup({ MCP_AGGREGATE_TOOL_SEPARATOR: "." });
    try {
      const { client } = await dotted.connect("root");
      expect(names((await client.listTools()).tools)).toContain("alpha.echo");
      const result = await client.callTool({ name: "gamma.echo", arguments: { text: "d" } });
      expect(result.content).toEqual([{ type: "text", text: "gamma:d" }]);
      await client.close();
    } finally {
      await dotted.close();
    }
  });
});
