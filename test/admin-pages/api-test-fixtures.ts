import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

/** Text a hostile backend puts everywhere the API test page shows backend text. */
export const HOSTILE = {
  tool: `<img src=x onerror="window.__xss=1">tool`,
  title: `<script>window.__xss=2</script>Title`,
  description: `<script>window.__xss=3</script><b>described</b>`,
  property: `<i onmouseover="window.__xss=4">arg</i>`,
  propertyDescription: `</p><img src=x onerror="window.__xss=5">`,
  choice: `"><script>window.__xss=6</script>`,
  answer: `<img src=x onerror="window.__xss=7">answer`,
} as const;

/** One `tools/call` as the backend received it (its HTTP body, before any parsing by the SDK). */
export interface ReceivedCall {
  name: string;
  arguments: unknown;
  authorization: string | null;
}

export interface ApiTestBackend {
  url: string;
  calls: ReceivedCall[];
  /** Every HTTP request the backend received (method and JSON-RPC method or "-"). */
  requests: string[];
  /** Resolves the pending `wait` calls. */
  release(): void;
  stop(): Promise<void>;
}

function tools(server: McpServer, waiters: (() => void)[]): void {
  server.registerTool(
    "shape",
    {
      description: "Takes one argument of each kind",
      inputSchema: {
        text: z.string().describe("Some text"),
        count: z.number().int().describe("A whole number"),
        ratio: z.number().optional(),
        loud: z.boolean(),
        mode: z.enum(["fast", "slow"]),
        options: z.object({ depth: z.number() }).optional(),
        tags: z.array(z.string()).optional(),
      },
    },
    async (args) => ({ content: [{ type: "text", text: JSON.stringify(args) }] }),
  );
  server.registerTool("fail", { description: "Always fails" }, async () => ({
    isError: true,
    content: [{ type: "text", text: "the backend says no" }],
  }));
  server.registerTool(
    "big",
    { description: "A long answer", inputSchema: { size: z.number().int() } },
    async ({ size }) => ({ content: [{ type: "text", text: "x".repeat(size) }] }),
  );
  server.registerTool(
    "many",
    { description: "Three arguments", inputSchema: { a: z.string(), b: z.string(), c: z.string() } },
    async (args) => ({ content: [{ type: "text", text: JSON.stringify(args) }] }),
  );
  // Answered by the HTTP handler below, not by the SDK (whose tools answer errors as isError results).
  server.registerTool("rpc_error", { description: "A JSON-RPC error" }, async () => ({ content: [] }));
  server.registerTool("broken", { description: "HTTP 500" }, async () => ({ content: [] }));
  server.registerTool("wait", { description: "Answers after release()" }, async () => {
    await new Promise<void>((resolve) => waiters.push(resolve));
    return { content: [{ type: "text", text: "released" }] };
  });
  // The SDK warns on stderr about a tool name outside the naming rules, for every session: quiet.
  const warn = console.warn;
  console.warn = () => {};
  try {
    registerHostileTool(server);
  } finally {
    console.warn = warn;
  }
}

function registerHostileTool(server: McpServer): void {
  server.registerTool(
    HOSTILE.tool,
    {
      title: HOSTILE.title,
      description: HOSTILE.description,
      inputSchema: {
        [HOSTILE.property]: z.string().describe(HOSTILE.propertyDescription).default(HOSTILE.choice),
        choice: z.enum([HOSTILE.choice, "plain"]),
      },
    },
    async () => ({ content: [{ type: "text", text: HOSTILE.answer }] }),
  );
}

/**
 * A real MCP server (the SDK's McpServer on its web-standard Streamable HTTP transport, sessions
 * on) on 127.0.0.1:0 with the tools the API test page is tested with. It records each tools/call
 * as it arrived over HTTP.
 */
export function startApiTestBackend(): ApiTestBackend {
  const calls: ReceivedCall[] = [];
  const requests: string[] = [];
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const waiters: (() => void)[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const body =
        request.method === "POST" ? ((await request.clone().json()) as Record<string, unknown>) : {};
      requests.push(`${request.method} ${typeof body.method === "string" ? body.method : "-"}`);
      if (body.method === "tools/call") {
        const params = body.params as { name: string; arguments?: unknown };
        calls.push({
          name: params.name,
          arguments: params.arguments,
          authorization: request.headers.get("authorization"),
        });
      }
      const called = (body.params as { name?: unknown } | undefined)?.name;
      if (body.method === "tools/call" && called === "rpc_error") {
        const error = { code: -32603, message: "the backend exploded" };
        return Response.json({ jsonrpc: "2.0", id: body.id, error });
      }
      if (body.method === "tools/call" && called === "broken") {
        return new Response("internal trouble", { status: 500, headers: { "content-type": "text/plain" } });
      }
      const sessionId = request.headers.get("mcp-session-id");
      let transport = sessionId === null ? undefined : transports.get(sessionId);
      if (!transport) {
        if (sessionId !== null) {
          return Response.json(
            { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } },
            { status: 404 },
          );
        }
        const created = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (id) => {
            transports.set(id, created);
          },
          onsessionclosed: (id) => {
            transports.delete(id);
          },
        });
        const mcp = new McpServer({ name: "api-test-backend", version: "1.0.0" });
        tools(mcp, waiters);
        await mcp.connect(created);
        transport = created;
      }
      return transport.handleRequest(request, { parsedBody: request.method === "POST" ? body : undefined });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/mcp`,
    calls,
    requests,
    release: () => {
      for (const resolve of waiters.splice(0)) resolve();
    },
    stop: async () => {
      for (const resolve of waiters.splice(0)) resolve();
      for (const transport of transports.values()) await transport.close().catch(() => {});
      server.stop(true);
    },
  };
}
