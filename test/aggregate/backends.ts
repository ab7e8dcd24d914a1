import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { registerProgressTool } from "../support/mcp-backend.ts";

export interface SeenRequest {
  /** HTTP method. */
  http: string;
  /** JSON-RPC method of a single POSTed message, if any. */
  rpc: string | undefined;
  headers: Headers;
  body: unknown;
}

export interface ToolBackend {
  name: string;
  url: string;
  port: number;
  seen: SeenRequest[];
  /** How many JSON-RPC requests of this method the backend received. */
  count(rpc: string): number;
  /** Adds a tool to every live session (each announces tools/list_changed). */
  addTool(name: string): void;
  /** Stops listening and drops every connection and session (a crash). */
  stop(): Promise<void>;
}

/**
 * A real SDK MCP server on Bun.serve (loopback, port 0 unless given), sessions on. Tools: `echo`
 * (answers `{backend}:{text}`, so a test sees which backend answered), `whoami` (the backend's
 * name), `fail` (isError result with structured content), `progress` (N progress notifications),
 * `slow` (answers once cancelled), plus `extraTools` (answering their own name) and, with `rich`,
 * prompts, resources, completions and logging (see `registerRich`).
 */
export async function startToolBackend(
  name: string,
  options: { port?: number; extraTools?: string[]; rich?: boolean } = {},
): Promise<ToolBackend> {
  const seen: SeenRequest[] = [];
  const sessions = new Map<
    string,
    { transport: WebStandardStreamableHTTPServerTransport; server: McpServer }
  >();
  const added: string[] = [...(options.extraTools ?? [])];

  const build = () => {
    const server = new McpServer(
      { name, version: "1.0.0" },
      options.rich ? { capabilities: { logging: {}, resources: { subscribe: true } } } : {},
    );
    server.registerTool(
      "echo",
      {
        description: `Echo from ${name}`,
        title: `Echo (${name})`,
        inputSchema: { text: z.string() },
        annotations: { readOnlyHint: true },
        _meta: { "example.test/backend": name },
      },
      async ({ text }) => ({ content: [{ type: "text", text: `${name}:${text}` }] }),
    );
    server.registerTool("whoami", { description: "Names the backend" }, async () => ({
      content: [{ type: "text", text: name }],
    }));
    server.registerTool("fail", { description: "Fails", outputSchema: { reason: z.string() } }, async () => ({
      isError: true,
      content: [{ type: "text", text: "it failed" }],
      structuredContent: { reason: "on purpose" },
    }));
    registerProgressTool(server, {
      description: "Progress then answer",
      maxSteps: 10,
      answer: (steps) => `${name} done ${steps}`,
    });
    server.registerTool(
      "lookup",
      { description: "Idempotent", annotations: { idempotentHint: true, destructiveHint: false } },
      async () => ({ content: [{ type: "text", text: `${name} looked up` }] }),
    );
    server.registerTool("append", { description: "Not idempotent" }, async () => ({
      content: [{ type: "text", text: `${name} appended` }],
    }));
    server.registerTool("slow", { description: "Answers only once cancelled" }, async (extra) => {
      await new Promise<void>((resolve) => {
        if (extra.signal.aborted) resolve();
        extra.signal.addEventListener("abort", () => resolve());
      });
      return { content: [{ type: "text", text: "cancelled" }] };
    });
    for (const tool of added) registerNamed(server, tool);
    if (options.rich) registerRich(server, name);
    return server;
  };

  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    fetch: async (request) => {
      const body = request.method === "POST" ? await request.json().catch(() => undefined) : undefined;
      const rpc =
        body && typeof body === "object" && !Array.isArray(body) && "method" in body
          ? String((body as { method: unknown }).method)
          : undefined;
      seen.push({ http: request.method, rpc, headers: request.headers, body });
      const id = request.headers.get("mcp-session-id");
      let session = id === null ? undefined : sessions.get(id);
      if (!session) {
        if (id !== null) {
          return Response.json(
            { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } },
            { status: 404 },
          );
        }
        const server = build();
        const transport: WebStandardStreamableHTTPServerTransport =
          new WebStandardStreamableHTTPServerTransport({
            sessionIdGenerator: () => crypto.randomUUID(),
            onsessioninitialized: (sid) => {
              sessions.set(sid, { transport, server });
            },
            onsessionclosed: (sid) => {
              sessions.delete(sid);
            },
          });
        await server.connect(transport);
        session = { transport, server };
      }
      return session.transport.handleRequest(request, { parsedBody: body });
    },
  });
  const port = http.port as number;
  return {
    name,
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    seen,
    count: (rpc) => seen.filter((request) => request.rpc === rpc).length,
    addTool: (tool) => {
      added.push(tool);
      for (const { server } of sessions.values()) registerNamed(server, tool);
    },
    stop: async () => {
      for (const { transport } of sessions.values()) await transport.close().catch(() => {});
      sessions.clear();
      http.stop(true);
    },
  };
}

function registerNamed(server: McpServer, tool: string): void {
  // The SDK warns on the console about names clients refuse; such names are what these tests need.
  const warn = console.warn;
  console.warn = () => {};
  try {
    server.registerTool(tool, { description: `The tool ${tool}` }, async () => ({
      content: [{ type: "text", text: tool }],
    }));
  } finally {
    console.warn = warn;
  }
}

/**
 * The prompt `greet` (argument `who`, completable), the resource `docs://readme`, the template
 * `notes://{id}` (completable), subscriptions (each answered by one `notifications/resources/updated`)
 * and the tool `log` (an info and a debug message through the backend's level filter).
 */
function registerRich(server: McpServer, name: string): void {
  const people = ["ann", "andy", "bob"];
  server.registerPrompt(
    "greet",
    {
      title: `Greeting (${name})`,
      description: `A greeting from ${name}`,
      argsSchema: { who: completable(z.string(), (value) => people.filter((p) => p.startsWith(value))) },
    },
    ({ who }) => ({ messages: [{ role: "user", content: { type: "text", text: `${name} greets ${who}` } }] }),
  );
  server.registerResource(
    "readme",
    "docs://readme",
    { title: `Readme of ${name}`, mimeType: "text/plain" },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: "text/plain", text: `${name} readme` }],
    }),
  );
  server.registerResource(
    "note",
    new ResourceTemplate("notes://{id}", {
      list: undefined,
      complete: { id: (value) => ["one", "two", "three"].filter((id) => id.startsWith(value)) },
    }),
    { title: "A note" },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `${name} note ${String(id)}` }] }),
  );
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    setTimeout(() => void server.server.sendResourceUpdated({ uri: request.params.uri }).catch(() => {}), 0);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async () => ({}));
  server.registerTool("ask", { description: "Asks the client's model" }, async () => {
    const answer = await server.server.createMessage({
      messages: [{ role: "user", content: { type: "text", text: `${name} asks` } }],
      maxTokens: 10,
    });
    return {
      content: [
        { type: "text", text: `${name} heard ${answer.content.type === "text" ? answer.content.text : "?"}` },
      ],
    };
  });
  server.registerTool("confirm", { description: "Asks the person" }, async () => {
    const answer = await server.server.elicitInput({
      message: `${name} wants a yes`,
      requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
    });
    return {
      content: [{ type: "text", text: `${name} got ${answer.action} ${JSON.stringify(answer.content)}` }],
    };
  });
  server.registerTool("roots", { description: "Lists the client's roots" }, async () => {
    const { roots } = await server.server.listRoots();
    return { content: [{ type: "text", text: roots.map((root) => root.uri).join(",") }] };
  });
  server.registerTool("log", { description: "Logs an info and a debug message" }, async (extra) => {
    await server.sendLoggingMessage({ level: "info", data: `${name} info` }, extra.sessionId);
    await server.sendLoggingMessage({ level: "debug", data: `${name} debug` }, extra.sessionId);
    return { content: [{ type: "text", text: "logged" }] };
  });
}

export interface FlakyProxy {
  url: string;
  /** Connections cut so far. */
  cut(): number;
  stop(): void;
}

/**
 * A TCP relay to `target` (host:port on loopback) that cuts the connection carrying the first
 * request whose bytes contain each of `markers`, before the backend sees it: a connection that
 * fails before any answer began.
 */
export function startFlakyProxy(targetPort: number, markers: string[]): FlakyProxy {
  const pending = new Set(markers);
  let cut = 0;
  type Side = { upstream?: Bun.Socket<undefined>; queue: Uint8Array[] };
  const listener = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { queue: [] };
        void Bun.connect({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            data(_upstream, chunk) {
              client.write(chunk);
            },
            close() {
              client.end();
            },
          },
        }).then((upstream) => {
          client.data.upstream = upstream as unknown as Bun.Socket<undefined>;
          for (const chunk of client.data.queue) upstream.write(chunk);
          client.data.queue = [];
        });
      },
      data(client, chunk) {
        const text = Buffer.from(chunk).toString("utf8");
        for (const marker of pending) {
          if (text.includes(marker)) {
            pending.delete(marker);
            cut++;
            client.data.upstream?.end();
            client.terminate();
            return;
          }
        }
        if (client.data.upstream) client.data.upstream.write(chunk);
        else client.data.queue.push(new Uint8Array(chunk));
      },
      close(client) {
        client.data.upstream?.end();
      },
    },
  });
  return {
    url: `http://127.0.0.1:${listener.port}/mcp`,
    cut: () => cut,
    stop: () => listener.stop(true),
  };
}
