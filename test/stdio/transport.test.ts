import { afterEach, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { stdioClientTransport } from "../../src/gateway/stdio/index.ts";
import { adminAndUser } from "../gateway/helpers.ts";
import { type TestGateway, testGateway } from "../support/context.ts";
import { gatewayOf, gone, stdioServer, textOf } from "./helpers.ts";

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function connect(g: TestGateway, key: string) {
  const { stdio, registry } = gatewayOf(g);
  const server = registry.byName("tools");
  if (!server) throw new Error("no server");
  const client = new Client({ name: "aggregate", version: "1" });
  await client.connect(stdioClientTransport(stdio, server, key));
  return { client, serverId: server.id };
}

test("stdioClientTransport: an SDK client per session key; shared mode shares the process, session mode stops it on close", async () => {
  for (const mode of ["shared", "session"] as const) {
    gateway = await testGateway({ MCP_STDIO_PROCESS_MODE: mode });
    const { adminToken } = await adminAndUser(gateway);
    await stdioServer(gateway, adminToken);
    const a = await connect(gateway, "agg-1");
    const b = await connect(gateway, "agg-2");
    expect(a.client.getServerVersion()?.name).toBe("stdio-backend");
    expect((await a.client.listTools()).tools.map((t) => t.name)).toContain("echo");
    expect(textOf(await b.client.callTool({ name: "echo", arguments: { text: mode } }))).toBe(mode);
    const pidA = Number(textOf(await a.client.callTool({ name: "pid", arguments: {} })));
    const pidB = Number(textOf(await b.client.callTool({ name: "pid", arguments: {} })));
    expect(pidA === pidB).toBe(mode === "shared");
    await a.client.close();
    if (mode === "session") {
      expect(await gone(pidA)).toBe(true);
      expect(gatewayOf(gateway).stdio.pids(a.serverId)).toEqual([pidB]);
    } else {
      expect(gatewayOf(gateway).stdio.pids(a.serverId)).toEqual([pidA]);
    }
    await gateway.close();
    gateway = undefined;
    expect(await gone(pidB)).toBe(true);
  }
});
