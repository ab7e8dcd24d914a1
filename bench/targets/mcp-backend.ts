// A minimal MCP backend without the SDK, for bench/aggregate.ts: one Bun.serve port, one backend per
// path `/s/{i}` (as many as the gateway registers), each answering initialize, tools/list (TOOLS
// tools), tools/call and ping at once with the request's id, and 202 to notifications. No sessions.
// Prints its base URL as one JSON line on stdout once listening.
// Usage: bun bench/targets/mcp-backend.ts [TOOLS]
const TOOLS = Number(process.argv[2] ?? "50");

const tools = Array.from({ length: TOOLS }, (_, i) => ({
  name: `tool_${String(i).padStart(2, "0")}`,
  description: `Benchmark tool number ${i}: echoes its text argument back.`,
  inputSchema: {
    type: "object",
    properties: { text: { type: "string", description: "What to echo." } },
    required: ["text"],
  },
}));
// The list's JSON between the id and the end, built once.
const TOOLS_RESULT = JSON.stringify({ tools });
const CALL_RESULT = JSON.stringify({ content: [{ type: "text", text: "ok" }] });
const JSON_HEADERS = { "content-type": "application/json" };

function answer(id: unknown, result: string): Response {
  return new Response(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}`, {
    headers: JSON_HEADERS,
  });
}

if (import.meta.main) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as {
        id?: unknown;
        method?: string;
        params?: { protocolVersion?: string };
      };
      if (message.id === undefined) return new Response(null, { status: 202 });
      switch (message.method) {
        case "initialize":
          return answer(
            message.id,
            JSON.stringify({
              protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
              capabilities: { tools: {} },
              serverInfo: { name: "bench-backend", version: "1.0.0" },
            }),
          );
        case "tools/list":
          return answer(message.id, TOOLS_RESULT);
        case "tools/call":
          return answer(message.id, CALL_RESULT);
        case "ping":
          return answer(message.id, "{}");
        default:
          return new Response(
            JSON.stringify({
              jsonrpc: "2.0",
              id: message.id,
              error: { code: -32601, message: "Method not found" },
            }),
            { headers: JSON_HEADERS },
          );
      }
    },
  });
  process.on("SIGTERM", () => process.exit(0));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}/s` }));
}
