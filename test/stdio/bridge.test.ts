import { describe, expect, test } from "bun:test";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { INITIALIZE, postMessage, sdkClient, tokenFor } from "../gateway/helpers.ts";
import { alive, gatewayOf, gone, stdioGatewayPerTest, stdioServer, textOf } from "./helpers.ts";

const start = stdioGatewayPerTest();

const pidOf = async (client: Awaited<ReturnType<typeof sdkClient>>["client"]) =>
  Number(textOf(await client.callTool({ name: "pid", arguments: {} })));

describe("stdio servers on /mcp/{server}", () => {
  test("the SDK client lists and calls tools, gets progress; two users share one process, isolated; close leaves no child", async () => {
    const { gateway, setup } = await start();
    await stdioServer(gateway, setup.adminToken);
    const alice = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    const mallory = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "mallory", "tools"));
    expect(alice.client.getServerVersion()?.name).toBe("stdio-backend");
    expect(alice.transport.sessionId).not.toBe(mallory.transport.sessionId);

    const tools = await alice.client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "progress", "pid"]));
    const echo = await alice.client.callTool({ name: "echo", arguments: { text: "héllo <stdio>" } });
    expect(echo.content).toEqual([{ type: "text", text: "héllo <stdio>" }]);

    // Both clients number their requests (and progress tokens) alike: the gateway keeps them apart.
    const seenA: number[] = [];
    const seenM: number[] = [];
    const [a, m] = await Promise.all([
      alice.client.callTool({ name: "progress", arguments: { steps: 3 } }, undefined, {
        onprogress: (p) => seenA.push(p.progress),
      }),
      mallory.client.callTool({ name: "progress", arguments: { steps: 4 } }, undefined, {
        onprogress: (p) => seenM.push(p.progress),
      }),
    ]);
    expect(textOf(a)).toBe("done after 3");
    expect(textOf(m)).toBe("done after 4");
    expect(seenA).toEqual([1, 2, 3]);
    expect(seenM).toEqual([1, 2, 3, 4]);

    const pid = await pidOf(alice.client);
    expect(await pidOf(mallory.client)).toBe(pid); // shared mode: one process

    // Alice's session id is hers alone.
    const hijack = await postMessage(
      `${gateway.url}/mcp/tools`,
      { jsonrpc: "2.0", id: 9, method: "tools/list" },
      {
        authorization: `Bearer ${await tokenFor(gateway, "mallory", "tools")}`,
        "mcp-session-id": alice.transport.sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(hijack.status).toBe(404);
    expect(hijack.headers.get("content-security-policy")).toContain("sandbox");

    // A tool added by the server reaches the session as tools/list_changed.
    const changed = Promise.withResolvers<void>();
    alice.client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed.resolve());
    const added = textOf(await alice.client.callTool({ name: "add_tool", arguments: {} }));
    await changed.promise;
    expect((await alice.client.listTools()).tools.map((t) => t.name)).toContain(added);

    // A cancelled call reaches the process as notifications/cancelled with the process's own id.
    const abort = new AbortController();
    const running = Promise.withResolvers<void>();
    const hanging = alice.client.callTool({ name: "hang", arguments: {} }, undefined, {
      signal: abort.signal,
      onprogress: () => running.resolve(),
    });
    await running.promise;
    abort.abort("changed my mind");
    await expect(hanging).rejects.toThrow();
    let cancelled = "0";
    for (let i = 0; i < 100 && cancelled === "0"; i++) {
      cancelled = textOf(await mallory.client.callTool({ name: "cancelled", arguments: {} }));
      if (cancelled === "0") await Bun.sleep(10);
    }
    expect(cancelled).toBe("1");

    // Shared mode: the process may not ask clients (the gateway declared no client capabilities).
    expect(textOf(await alice.client.callTool({ name: "ask", arguments: { prompt: "?" } }))).toStartWith(
      "no sampling",
    );

    const health = await gatewayOf(gateway).health.check(gatewayOf(gateway).registry.byName("tools")!);
    expect(health.status).not.toBe("offline");
    expect(health.lastError).toBeUndefined();

    await alice.client.close();
    await mallory.client.close();
    expect(alive(pid)).toBe(true);
    await gateway.close();
    expect(await gone(pid)).toBe(true);
  });

  test("raw Streamable HTTP: JSON and SSE answers, 202 for notifications, GET stream, DELETE; answers sandboxed", async () => {
    const { gateway, setup } = await start();
    await stdioServer(gateway, setup.adminToken);
    const auth = { authorization: `Bearer ${await tokenFor(gateway, "alice", "tools")}` };
    const url = `${gateway.url}/mcp/tools`;
    const init = await postMessage(url, INITIALIZE, auth);
    expect(init.status).toBe(200);
    expect(init.headers.get("content-security-policy")).toBe(
      "default-src 'none'; sandbox; frame-ancestors 'none'",
    );
    expect(init.headers.get("x-content-type-options")).toBe("nosniff");
    const body = (await init.json()) as {
      id: number;
      result: { protocolVersion: string; serverInfo: { name: string } };
    };
    expect(body.id).toBe(1);
    expect(body.result.protocolVersion).toBe("2025-06-18");
    expect(body.result.serverInfo.name).toBe("stdio-backend");
    const session = {
      ...auth,
      "mcp-session-id": init.headers.get("mcp-session-id") ?? "",
      "mcp-protocol-version": "2025-06-18",
    };
    expect(session["mcp-session-id"].length).toBeGreaterThan(20);

    const initialized = await postMessage(
      url,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      session,
    );
    expect(initialized.status).toBe(202);

    const asJson = await fetch(url, {
      method: "POST",
      headers: { ...session, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: "j",
        method: "tools/call",
        params: { name: "echo", arguments: { text: "j" } },
      }),
    });
    expect(asJson.headers.get("content-type")).toContain("application/json");
    expect(await asJson.json()).toMatchObject({ id: "j", result: { content: [{ text: "j" }] } });

    const asSse = await postMessage(
      url,
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: { text: "s" } } },
      session,
    );
    expect(asSse.headers.get("content-type")).toBe("text/event-stream");
    expect(asSse.headers.get("content-security-policy")).toContain("sandbox");
    const sseText = await asSse.text();
    expect(sseText).toContain('"id":7');
    expect(sseText).toContain('"text":"s"');

    const standalone = await fetch(url, { headers: { ...session, accept: "text/event-stream" } });
    expect(standalone.status).toBe(200);
    expect(standalone.headers.get("content-type")).toBe("text/event-stream");
    await standalone.body?.cancel();

    const garbage = await postMessage(url, "not json", session);
    expect(garbage.status).toBe(400);

    const deleted = await fetch(url, { method: "DELETE", headers: session });
    expect(deleted.status).toBe(200);
    const after = await postMessage(url, { jsonrpc: "2.0", id: 8, method: "tools/list" }, session);
    expect(after.status).toBe(404);
  });

  test("a request before initialize is refused; a caller without a token gets 401", async () => {
    const { gateway, setup } = await start();
    await stdioServer(gateway, setup.adminToken);
    const noToken = await postMessage(`${gateway.url}/mcp/tools`, INITIALIZE);
    expect(noToken.status).toBe(401);
    const auth = { authorization: `Bearer ${await tokenFor(gateway, "alice", "tools")}` };
    const early = await postMessage(
      `${gateway.url}/mcp/tools`,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      auth,
    );
    expect(early.status).toBe(400);
    expect(gatewayOf(gateway).stdio.pids(gatewayOf(gateway).registry.byName("tools")!.id)).toEqual([]);
  });

  test("MCP_STDIO_MAX_SESSIONS_PER_USER: a user's new session beyond it ends their oldest", async () => {
    const { gateway, setup } = await start({ MCP_STDIO_MAX_SESSIONS_PER_USER: "1" });
    await stdioServer(gateway, setup.adminToken);
    const token = await tokenFor(gateway, "alice", "tools");
    const first = await sdkClient(`${gateway.url}/mcp/tools`, token);
    await sdkClient(`${gateway.url}/mcp/tools`, token);
    const stale = await postMessage(
      `${gateway.url}/mcp/tools`,
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      {
        authorization: `Bearer ${token}`,
        "mcp-session-id": first.transport.sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(stale.status).toBe(404);
  });

  test("MCP_STDIO_MAX_SESSIONS: a full bridge refuses a new session with 503", async () => {
    const { gateway, setup } = await start({ MCP_STDIO_MAX_SESSIONS: "1" });
    await stdioServer(gateway, setup.adminToken);
    await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    const refused = await postMessage(`${gateway.url}/mcp/tools`, INITIALIZE, {
      authorization: `Bearer ${await tokenFor(gateway, "mallory", "tools")}`,
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("60");
  });
});
