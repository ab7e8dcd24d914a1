// Every transport behind /mcp/{server} yields activity rows: stdio servers the gateway runs and
// legacy HTTP+SSE backends it bridges, as well as Streamable HTTP (recording.test.ts).

import { afterEach, expect, test } from "bun:test";
import { createServer, type GatewayWithUsers, sdkClient, tokenFor } from "../gateway/helpers.ts";
import { STDIO_SERVER } from "../stdio/helpers.ts";
import { type LegacySseBackend, startLegacySseBackend } from "../support/legacy-sse-backend.ts";
import { activityStage, listActivity } from "./helpers.ts";

let stage: GatewayWithUsers | undefined;
let legacy: LegacySseBackend | undefined;
afterEach(async () => {
  await stage?.close();
  await legacy?.close();
  stage = undefined;
  legacy = undefined;
});

test("stdio and legacy SSE servers: one row per request, with method, tool and user", async () => {
  const s = await activityStage();
  stage = s.stage;
  legacy = await startLegacySseBackend();
  await createServer(s.g, s.setup.adminToken, {
    name: "tools",
    transport: "stdio",
    command: process.execPath,
    args: [STDIO_SERVER],
    open_to_all: true,
  });
  await createServer(s.g, s.setup.adminToken, {
    name: "legacy",
    transport: "sse",
    url: legacy.url,
    open_to_all: true,
  });
  for (const server of ["tools", "legacy"]) {
    const { client } = await sdkClient(`${s.g.url}/mcp/${server}`, await tokenFor(s.g, "alice", server));
    const answer = await client.callTool({ name: "echo", arguments: { text: `via ${server}` } });
    expect(JSON.stringify(answer.content)).toContain(`via ${server}`);
    await client.close();

    const { body } = await listActivity(s.g, s.setup.adminToken, `?server=${server}`);
    const methods = body.activity.map((row) => row.method);
    // The SDK's client also opens its GET stream (a row named by the HTTP method).
    for (const method of ["initialize", "notifications/initialized", "tools/call", "GET"]) {
      expect(methods).toContain(method);
    }
    expect(methods.at(-1)).toBe("initialize");
    const call = body.activity.find((row) => row.method === "tools/call");
    expect(call).toMatchObject({
      user_id: s.setup.user.id,
      server,
      endpoint: "server",
      target: "echo",
      outcome: "ok",
      http_status: 200,
    });
    expect(call?.session_id).toBeString();
  }
});
