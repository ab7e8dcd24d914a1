// The benchmark's backend: answers every POST with a fixed JSON-RPC tools/call result. Prints its
// URL as one JSON line on stdout once listening. Run by bench/proxy.ts in a process of its own.
export const RESPONSE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  result: { content: [{ type: "text", text: "ok" }] },
});

if (import.meta.main) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      await request.text();
      return new Response(RESPONSE, { headers: { "content-type": "application/json" } });
    },
  });
  process.on("SIGTERM", () => process.exit(0));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}/mcp` }));
}
