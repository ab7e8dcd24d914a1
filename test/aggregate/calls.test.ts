// One gateway and three backends shared by these tests: none of them changes a server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
beforeAll(async () => {
  setup = await aggregateSetup();
});
afterAll(async () => {
  await setup.close();
});

const names = (tools: { name: string }[]) => tools.map((tool) => tool.name).sort();
/** The body of the first `tools/call` of `tool` a backend received. */
const callOf = (backend: AggregateSetup["backends"]["alpha"], tool: string) =>
  backend.seen.find(
    (r) => r.rpc === "tools/call" && (r.body as { params?: { name?: string } }).params?.name === tool,
  );

describe("merged catalog of /mcp: listing and calling", () => {
  test("tools of every server, named {server}__{tool}, fields unchanged; calls reach the right backend", async () => {
    const { client } = await setup.connect("root");
    const { tools } = await client.listTools();
    for (const backend of ["alpha", "beta", "gamma"]) {
      for (const tool of ["echo", "whoami", "fail", "progress"])
        expect(names(tools)).toContain(`${backend}__${tool}`);
    }
    const echo = tools.find((tool) => tool.name === "beta__echo");
    expect(echo?.description).toBe("Echo from beta");
    expect(echo?.title).toBe("Echo (beta)");
    expect(echo?.annotations).toEqual({ readOnlyHint: true });
    expect(echo?._meta).toEqual({ "example.test/backend": "beta" });
    expect(echo?.inputSchema.properties).toHaveProperty("text");

    for (const backend of ["alpha", "beta", "gamma"]) {
      const result = await client.callTool({ name: `${backend}__echo`, arguments: { text: "hi" } });
      expect(result.content).toEqual([{ type: "text", text: `${backend}:hi` }]);
    }
    // Results pass through: isError and structured content untouched.
    const failed = await client.callTool({ name: "alpha__fail", arguments: {} });
    expect(failed.isError).toBe(true);
    expect(failed.structuredContent).toEqual({ reason: "on purpose" });
    // The backend got the original name and the gateway's credential, never the client's token.
    const call = setup.backends.gamma.seen.find((r) => r.rpc === "tools/call");
    expect((call?.body as { params?: { name?: string } } | undefined)?.params?.name).toBe("echo");
    expect(call?.headers.get("authorization")).toBe("Bearer backend-secret-gamma");
    await client.close();
  });

  test("unknown tool → JSON-RPC -32602", async () => {
    const { client } = await setup.connect("root");
    await expect(client.callTool({ name: "alpha__nope", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    await expect(client.callTool({ name: "nothing", arguments: {} })).rejects.toMatchObject({ code: -32602 });
    await client.close();
  });

  test("a user permitted to two of three servers sees and calls only those two", async () => {
    const { client } = await setup.connect("alice");
    const gammaCalls = setup.backends.gamma.count("tools/call");
    const { tools } = await client.listTools();
    const servers = new Set(tools.map((tool) => tool.name.split("__")[0]));
    expect([...servers].sort()).toEqual(["alpha", "beta"]);
    const ok = await client.callTool({ name: "beta__whoami", arguments: {} });
    expect(ok.content).toEqual([{ type: "text", text: "beta" }]);
    await expect(client.callTool({ name: "gamma__whoami", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    expect(setup.backends.gamma.count("tools/call")).toBe(gammaCalls);
    await client.close();
  });

  test("a warm tools/list asks no backend", async () => {
    const first = await setup.connect("root");
    await first.client.listTools();
    const counts = () => Object.values(setup.backends).map((backend) => backend.seen.length);
    const before = counts();
    expect(before.every((n) => n > 0)).toBe(true);
    await first.client.listTools();
    const second = await setup.connect("alice"); // another session, another user
    expect(names((await second.client.listTools()).tools).length).toBeGreaterThan(0);
    expect(counts()).toEqual(before);
    await first.client.close();
    await second.client.close();
  });

  test("a backend's tools/list_changed reaches the client on its GET stream; the list is fresh", async () => {
    const { client } = await setup.connect("root");
    await client.listTools();
    await client.callTool({ name: "alpha__whoami", arguments: {} }); // opens alpha's backend session
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    setup.backends.alpha.addTool("fresh_tool");
    await changed;
    expect(names((await client.listTools()).tools)).toContain("alpha__fresh_tool");
    await client.close();
  });

  test("progress from a backend comes back with the client's own progress token", async () => {
    const { client } = await setup.connect("root");
    const seen: number[] = [];
    const result = await client.callTool({ name: "beta__progress", arguments: { steps: 3 } }, undefined, {
      onprogress: (progress) => seen.push(progress.progress),
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(result.content).toEqual([{ type: "text", text: "beta done 3" }]);
    await client.close();
  });

  test("a cancelled call reaches the backend as notifications/cancelled with the backend's request id", async () => {
    const { client } = await setup.connect("root");
    const controller = new AbortController();
    const call = client.callTool({ name: "gamma__slow", arguments: {} }, undefined, {
      signal: controller.signal,
    });
    const backend = setup.backends.gamma;
    const started = () => callOf(backend, "slow") !== undefined;
    while (!started()) await Bun.sleep(5);
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    const sent = callOf(backend, "slow")?.body as { id: number };
    while (!backend.seen.some((r) => r.rpc === "notifications/cancelled")) await Bun.sleep(5);
    const cancelled = backend.seen.find((r) => r.rpc === "notifications/cancelled")?.body as {
      params: { requestId: number };
    };
    expect(cancelled.params.requestId).toBe(sent.id);
    // The session goes on.
    const echo = await client.callTool({ name: "gamma__echo", arguments: { text: "still" } });
    expect(echo.content).toEqual([{ type: "text", text: "gamma:still" }]);
    await client.close();
  });

  test("a client that disconnects cancels its call at the backend", async () => {
    const token = await setup.tokenFor("root");
    const { client, transport } = await setup.connect("root");
    await client.listTools();
    const controller = new AbortController();
    const pending = fetch(`${setup.gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": transport.sessionId as string,
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 77,
        method: "tools/call",
        params: { name: "beta__slow", arguments: {} },
      }),
      signal: controller.signal,
    }).catch(() => undefined);
    const backend = setup.backends.beta;
    while (callOf(backend, "slow") === undefined) await Bun.sleep(5);
    controller.abort();
    await pending;
    while (!backend.seen.some((r) => r.rpc === "notifications/cancelled")) await Bun.sleep(5);
    const call = callOf(backend, "slow")?.body as { id: number };
    const cancelled = backend.seen.find((r) => r.rpc === "notifications/cancelled")?.body as {
      params: { requestId: number };
    };
    expect(cancelled.params.requestId).toBe(call.id);
    // Calls that finished normally were not cancelled afterwards.
    expect(setup.backends.alpha.count("notifications/cancelled")).toBe(0);
    await client.close();
  });
});
