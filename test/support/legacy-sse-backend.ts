import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { z } from "zod";
import { type ReceivedRequest, readRequestBody, registerEchoAndProgress } from "./mcp-backend.ts";

export interface LegacySseBackend {
  /** The SSE URL a legacy client GETs (the server then names `/messages?sessionId=…`). */
  url: string;
  received: ReceivedRequest[];
  /** Backend sessions whose SSE stream is open now. */
  openStreams(): number;
  /** Destroys every open connection at once (a crash). */
  kill(): void;
  close(): Promise<void>;
}

/**
 * A real MCP server on the legacy HTTP+SSE transport (2024-11-05: SDK McpServer +
 * SSEServerTransport) on 127.0.0.1:0. Tools: `echo`, `progress` (N progress notifications),
 * `log` (a logging notification, then the result), `ask` (asks the client to sample, returns the
 * answer), `hang` (never answers).
 */
export async function startLegacySseBackend(): Promise<LegacySseBackend> {
  const received: ReceivedRequest[] = [];
  const transports = new Map<string, SSEServerTransport>();

  const buildServer = () => {
    const server = new McpServer(
      { name: "legacy-backend", version: "1.0.0" },
      { capabilities: { logging: {} } },
    );
    registerEchoAndProgress(server);
    server.registerTool("log", { description: "Logs, then answers" }, async (extra) => {
      await extra.sendNotification({
        method: "notifications/message",
        params: { level: "info", data: "legacy says hello" },
      });
      return { content: [{ type: "text", text: "logged" }] };
    });
    server.registerTool(
      "ask",
      { description: "Asks the client's model", inputSchema: { prompt: z.string() } },
      async ({ prompt }) => {
        const result = await server.server.createMessage({
          messages: [{ role: "user", content: { type: "text", text: prompt } }],
          maxTokens: 50,
        });
        const text = result.content.type === "text" ? result.content.text : "";
        return { content: [{ type: "text", text: `model said: ${text}` }] };
      },
    );
    server.registerTool("hang", { description: "Never answers" }, () => new Promise(() => {}));
    return server;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = req.method === "POST" ? await readRequestBody(req) : undefined;
    received.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, body });
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      transport.onclose = () => transports.delete(transport.sessionId);
      res.on("close", () => transports.delete(transport.sessionId));
      await buildServer().connect(transport);
      return;
    }
    if (req.method === "POST" && url.pathname === "/messages") {
      const transport = transports.get(url.searchParams.get("sessionId") ?? "");
      if (!transport) {
        res.writeHead(404).end("unknown session");
        return;
      }
      await transport.handlePostMessage(req, res, body);
      return;
    }
    res.writeHead(405).end();
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    received,
    openStreams: () => transports.size,
    kill: () => server.closeAllConnections(),
    close: async () => {
      for (const transport of transports.values()) await transport.close().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
