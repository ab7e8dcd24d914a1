// A tiny MCP server to put behind the gateway while trying it out (the README's quick start):
// Streamable HTTP on http://127.0.0.1:9000/mcp (PORT and HOST change it), with sessions, and two
// tools: `echo` (text back) and `add` (a + b). Built with the official MCP SDK the project installs.
//
//   bun scripts/example-mcp-server.ts
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

const port = Number(process.env.PORT ?? 9000);
const hostname = process.env.HOST ?? "127.0.0.1";

function buildServer(): McpServer {
  const server = new McpServer({ name: "example", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Returns the text it is given", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  return server;
}

/** One transport per MCP session, found again by the Mcp-Session-Id header. */
const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

const server = Bun.serve({
  port,
  hostname,
  // Streams (GET /mcp) stay open while idle.
  idleTimeout: 0,
  async fetch(request) {
    if (new URL(request.url).pathname !== "/mcp") return new Response("not found", { status: 404 });
    const id = request.headers.get("mcp-session-id");
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      if (id) {
        return Response.json(
          { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } },
          { status: 404 },
        );
      }
      const created = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (sessionId) => {
          sessions.set(sessionId, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await buildServer().connect(created);
      transport = created;
    }
    return transport.handleRequest(request);
  },
});
console.log(`example MCP server on http://${hostname}:${server.port}/mcp (tools: echo, add)`);
