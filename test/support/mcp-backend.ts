import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface McpBackend {
  url: string;
  received: ReceivedRequest[];
  /** Responses whose connection closed before they finished (the caller went away). */
  abandoned: () => number;
  /** Resolves the pending `wait` tool calls. */
  release(): void;
  /** Destroys every open connection at once (a crash mid-stream). */
  kill(): void;
  close(): Promise<void>;
}

/**
 * A real MCP server (SDK McpServer + StreamableHTTPServerTransport, sessions on) on 127.0.0.1:0.
 * Tools: `echo` (text back), `progress` (N progress notifications over SSE, then the result),
 * `wait` (answers only after release(), to hold a stream idle or open).
 */
export async function startMcpBackend(): Promise<McpBackend> {
  const received: ReceivedRequest[] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let waiters: (() => void)[] = [];

  const buildServer = () => {
    const server = new McpServer(
      { name: "test-backend", version: "1.0.0" },
      { capabilities: { logging: {} } },
    );
    registerEchoAndProgress(server);
    registerConformanceTools(server);
    server.registerTool(
      "wait",
      { description: "Announces itself, answers after release()" },
      async (extra) => {
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", data: "waiting" },
        });
        await new Promise<void>((resolve) => waiters.push(resolve));
        return { content: [{ type: "text", text: "released" }] };
      },
    );
    return server;
  };

  let abandoned = 0;
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    res.on("close", () => {
      if (!res.writableFinished) abandoned++;
    });
    const body = req.method === "POST" ? await readRequestBody(req) : undefined;
    received.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, body });
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId !== undefined) {
        const notFound = { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } };
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify(notFound));
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId) transports.delete(created.sessionId);
      };
      await buildServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    received,
    abandoned: () => abandoned,
    release: () => {
      const pending = waiters;
      waiters = [];
      for (const resolve of pending) resolve();
    },
    kill: () => server.closeAllConnections(),
    close: async () => {
      const pending = waiters;
      waiters = [];
      for (const resolve of pending) resolve();
      for (const transport of transports.values()) await transport.close().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A request's body as JSON, as text when it is not JSON (the SDK transport answers the parse error), or undefined. */
export async function readRequestBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `echo` (text back) and `progress` (N progress notifications, then the result). */
export function registerEchoAndProgress(server: McpServer): void {
  server.registerTool(
    "echo",
    { description: "Echoes text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  registerProgressTool(server, {
    description: "Sends progress then answers",
    maxSteps: 20,
    message: (i) => `step ${i}`,
    answer: (steps) => `done after ${steps}`,
  });
}

/**
 * A `progress` tool: `steps` (1..maxSteps) progress notifications when the caller sent a progress
 * token (with `message(i)` when given), then the text `answer(steps)`.
 */
export function registerProgressTool(
  server: McpServer,
  options: {
    description: string;
    maxSteps: number;
    message?: (step: number) => string;
    answer: (steps: number) => string;
  },
): void {
  server.registerTool(
    "progress",
    {
      description: options.description,
      inputSchema: { steps: z.number().int().min(1).max(options.maxSteps) },
    },
    async ({ steps }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: {
              progressToken: token,
              progress: i,
              total: steps,
              ...(options.message ? { message: options.message(i) } : {}),
            },
          });
        }
      }
      return { content: [{ type: "text", text: options.answer(steps) }] };
    },
  );
}

/** Tools named as the conformance suite's server scenarios expect (logging, progress, content, sampling, elicitation). */
function registerConformanceTools(server: McpServer): void {
  server.registerTool("test_simple_text", { description: "Simple text" }, async () => ({
    content: [{ type: "text", text: "This is a simple text response for testing." }],
  }));
  server.registerTool("test_image_content", { description: "Image" }, async () => ({
    content: [{ type: "image", data: PIXEL_PNG, mimeType: "image/png" }],
  }));
  server.registerTool("test_audio_content", { description: "Audio" }, async () => ({
    content: [
      {
        type: "audio",
        data: "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=",
        mimeType: "audio/wav",
      },
    ],
  }));
  server.registerTool("test_embedded_resource", { description: "Embedded resource" }, async () => ({
    content: [
      {
        type: "resource",
        resource: {
          uri: "test://embedded-resource",
          mimeType: "text/plain",
          text: "This is an embedded resource content.",
        },
      },
    ],
  }));
  server.registerTool("test_multiple_content_types", { description: "Mixed" }, async () => ({
    content: [
      { type: "text", text: "Multiple content types test:" },
      { type: "image", data: PIXEL_PNG, mimeType: "image/png" },
      {
        type: "resource",
        resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: "{}" },
      },
    ],
  }));
  server.registerTool("test_tool_with_logging", { description: "Logs" }, async (extra) => {
    for (const data of ["Tool execution started", "Tool processing data", "Tool execution completed"]) {
      await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
    }
    return { content: [{ type: "text", text: "Tool with logging executed successfully" }] };
  });
  server.registerTool("test_tool_with_progress", { description: "Progress" }, async (extra) => {
    const token = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress, total: 100 },
        });
      }
    }
    return { content: [{ type: "text", text: String(token ?? "") }] };
  });
  server.registerTool("test_error_handling", { description: "Errors" }, async () => ({
    isError: true,
    content: [{ type: "text", text: "This tool intentionally returns an error for testing" }],
  }));
  server.registerTool(
    "test_sampling",
    { description: "Sampling", inputSchema: { prompt: z.string() } },
    async ({ prompt }) => {
      const result = await server.server.createMessage({
        messages: [{ role: "user", content: { type: "text", text: prompt } }],
        maxTokens: 100,
      });
      const text = result.content.type === "text" ? result.content.text : "";
      return { content: [{ type: "text", text: `LLM response: ${text}` }] };
    },
  );
  server.registerTool(
    "test_elicitation",
    { description: "Elicitation", inputSchema: { message: z.string() } },
    async ({ message }) => {
      const result = await server.server.elicitInput({
        message,
        requestedSchema: {
          type: "object",
          properties: {
            username: { type: "string", description: "User's response" },
            email: { type: "string", description: "User's email address" },
          },
          required: ["username", "email"],
        },
      });
      return { content: [{ type: "text", text: `User response: ${JSON.stringify(result)}` }] };
    },
  );
}

const PIXEL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
