import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { INITIALIZE, postMessage, sdkClient, tokenFor } from "../gateway/helpers.ts";
import { jsonInit } from "../support/context.ts";
import { alive, gatewayOf, gone, stdioGatewayPerTest, stdioServer, textOf } from "./helpers.ts";

const start = stdioGatewayPerTest();

type Client = Awaited<ReturnType<typeof sdkClient>>["client"];
const pidOf = async (client: Client) => Number(textOf(await client.callTool({ name: "pid", arguments: {} })));

describe("stdio processes", () => {
  test("crash: the pending call fails, the next call restarts the process; a killed child too", async () => {
    const { gateway, setup } = await start();
    await stdioServer(gateway, setup.adminToken);
    const { client } = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    const first = await pidOf(client);
    await expect(client.callTool({ name: "crash", arguments: {} })).rejects.toThrow(/exited/);
    expect(await gone(first)).toBe(true);
    const second = await pidOf(client);
    expect(second).not.toBe(first);

    process.kill(second, "SIGKILL");
    expect(await gone(second)).toBe(true);
    for (
      let i = 0;
      i < 100 && gatewayOf(gateway).stdio.pids(gatewayOf(gateway).registry.byName("tools")!.id).length > 0;
      i++
    )
      await Bun.sleep(10);
    const third = await pidOf(client);
    expect(third).not.toBe(second);
    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "back" } }))).toBe("back");
  });

  test("MCP_STDIO_RESTART_BACKOFF_MS and _MAX_MS: a process that keeps failing is not started again before its backoff", async () => {
    const { gateway, setup } = await start({
      MCP_STDIO_RESTART_BACKOFF_MS: "60000",
      MCP_STDIO_RESTART_BACKOFF_MAX_MS: "100000",
    });
    const log = join(gateway.dir, "starts.log");
    await stdioServer(gateway, setup.adminToken, { env: { STDIO_START_LOG: log, STDIO_FAIL_START: "1" } });
    const auth = { authorization: `Bearer ${await tokenFor(gateway, "alice", "tools")}` };
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    const failed = await postMessage(`${gateway.url}/mcp/tools`, init, auth);
    expect(failed.status).toBe(502);
    const refused = await postMessage(`${gateway.url}/mcp/tools`, init, auth);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(1);

    gateway.clock.advance(60_001);
    const again = await postMessage(`${gateway.url}/mcp/tools`, init, auth);
    expect(again.status).toBe(502);
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(2);
    // Doubled after a second failure, up to the maximum: refused 60 s later, started 100 s later.
    gateway.clock.advance(60_001);
    const later = await postMessage(`${gateway.url}/mcp/tools`, init, auth);
    expect(later.status).toBe(503);
    expect(later.headers.get("retry-after")).toBe("40");
    gateway.clock.advance(40_000);
    expect((await postMessage(`${gateway.url}/mcp/tools`, init, auth)).status).toBe(502);
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(3);
  });

  test("disable, change and delete stop the process; the command runs again when enabled", async () => {
    const { gateway, setup } = await start();
    const server = await stdioServer(gateway, setup.adminToken);
    const admin = { authorization: `Bearer ${setup.adminToken}` };
    const patch = (body: unknown) =>
      gateway.request(`/admin/api/mcp-servers/${server.id}`, {
        ...jsonInit(body, { headers: admin }),
        method: "PATCH",
      });
    const token = await tokenFor(gateway, "alice", "tools");

    const one = await sdkClient(`${gateway.url}/mcp/tools`, token);
    const pid1 = await pidOf(one.client);
    expect((await patch({ enabled: false })).status).toBe(200);
    expect(await gone(pid1)).toBe(true);
    expect(
      (
        await postMessage(
          `${gateway.url}/mcp/tools`,
          { jsonrpc: "2.0", id: 1, method: "ping" },
          { authorization: `Bearer ${token}` },
        )
      ).status,
    ).toBe(404);

    expect((await patch({ enabled: true })).status).toBe(200);
    const two = await sdkClient(`${gateway.url}/mcp/tools`, token);
    const pid2 = await pidOf(two.client);
    expect((await patch({ display_name: "Tools" })).status).toBe(200);
    expect(await gone(pid2)).toBe(true);

    const three = await sdkClient(`${gateway.url}/mcp/tools`, token);
    const pid3 = await pidOf(three.client);
    const removed = await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
      method: "DELETE",
      headers: admin,
    });
    expect(removed.status).toBe(204);
    expect(await gone(pid3)).toBe(true);
  });

  test("MCP_STDIO_STOP_GRACE_MS: a process that ignores stdin's end and SIGTERM is killed after the grace time", async () => {
    const { gateway, setup } = await start({ MCP_STDIO_STOP_GRACE_MS: "100" });
    const server = await stdioServer(gateway, setup.adminToken, { env: { STDIO_IGNORE_TERM: "1" } });
    const { client } = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    const pid = await pidOf(client);
    const removed = await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${setup.adminToken}` },
    });
    expect(removed.status).toBe(204);
    expect(await gone(pid)).toBe(true);
  });

  test("MCP_STDIO_PROCESS_MODE=session: a process per session, the client's own initialize, stopped by DELETE", async () => {
    const { gateway, setup } = await start({ MCP_STDIO_PROCESS_MODE: "session" });
    await stdioServer(gateway, setup.adminToken);
    const token = await tokenFor(gateway, "alice", "tools");
    const a = await sdkClient(`${gateway.url}/mcp/tools`, token);
    const b = await sdkClient(`${gateway.url}/mcp/tools`, token, { capabilities: { roots: {} } });
    const pidA = await pidOf(a.client);
    const pidB = await pidOf(b.client);
    expect(pidA).not.toBe(pidB);
    // The process was initialized with the client's own capabilities: sampling reaches the client.
    const sampling = await sdkClient(`${gateway.url}/mcp/tools`, token, { capabilities: { sampling: {} } });
    sampling.client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test-model",
      content: { type: "text", text: "four" },
    }));
    expect(textOf(await sampling.client.callTool({ name: "ask", arguments: { prompt: "2+2?" } }))).toBe(
      "model said: four",
    );
    await sampling.transport.terminateSession();
    await a.transport.terminateSession();
    expect(await gone(pidA)).toBe(true);
    expect(alive(pidB)).toBe(true);
    await gateway.close();
    expect(await gone(pidB)).toBe(true);
  });

  test("MCP_STDIO_MAX_LINE_BYTES stops a process writing a longer message; MCP_STDIO_STDERR_LINE_CHARS cuts stderr lines in the log", async () => {
    const { gateway, setup } = await start({
      MCP_STDIO_MAX_LINE_BYTES: "4096",
      MCP_STDIO_STDERR_LINE_CHARS: "100",
    });
    await stdioServer(gateway, setup.adminToken);
    const { client } = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    const pid = await pidOf(client);
    expect(textOf(await client.callTool({ name: "big", arguments: { bytes: 1000 } }))).toHaveLength(1000);
    await expect(client.callTool({ name: "big", arguments: { bytes: 10000 } })).rejects.toThrow();
    expect(await gone(pid)).toBe(true);
    expect(
      gateway.logs.some((l) => l.includes("MCP_STDIO_MAX_LINE_BYTES") && l.includes('"server":"tools"')),
    ).toBe(true);

    expect(textOf(await client.callTool({ name: "stderr", arguments: { chars: 500 } }))).toBe("written");
    let line: { server?: string; stderr?: string } | undefined;
    for (let i = 0; i < 200 && !line; i++) {
      line = gateway.logs
        .map((l) => JSON.parse(l) as { server?: string; stderr?: string })
        .find((l) => l.stderr);
      if (!line) await Bun.sleep(10);
    }
    expect(line?.server).toBe("tools");
    expect(line?.stderr).toBe("e".repeat(100));
  });

  test("MCP_STDIO_BACKLOG: messages for a session without a stream are kept up to the limit", async () => {
    const countChanges = async (backlog: string) => {
      const { gateway, setup } = await start({ MCP_STDIO_BACKLOG: backlog });
      await stdioServer(gateway, setup.adminToken);
      const auth = { authorization: `Bearer ${await tokenFor(gateway, "alice", "tools")}` };
      const init = await postMessage(`${gateway.url}/mcp/tools`, INITIALIZE, auth);
      const session = {
        ...auth,
        "mcp-session-id": init.headers.get("mcp-session-id") ?? "",
        "mcp-protocol-version": "2025-06-18",
      };
      const call = (id: number, name: string, args: Record<string, unknown> = {}) =>
        fetch(`${gateway.url}/mcp/tools`, {
          method: "POST",
          headers: { ...session, "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id,
            method: "tools/call",
            params: { name, arguments: args },
          }),
        }).then((r) => r.json());
      // Answered as JSON: the list changes they cause have no request stream to go on.
      await call(101, "add_tool");
      await call(102, "add_tool");
      await call(103, "add_tool");
      const stream = await fetch(`${gateway.url}/mcp/tools`, {
        headers: { ...session, accept: "text/event-stream" },
      });
      await call(104, "log", { text: "marker" }); // arrives on the open stream, after the backlog
      const reader = stream.body!.getReader();
      let text = "";
      for (let i = 0; i < 100 && !text.includes("marker"); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain("marker");
      await reader.cancel();
      await gateway.close();
      return text.split("list_changed").length - 1;
    };
    expect(await countChanges("1")).toBe(1);
    expect(await countChanges("5")).toBe(3);
  });
});
