import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type EventId,
  type EventStore,
  StreamableHTTPServerTransport,
  type StreamId,
} from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  type ElicitRequestFormParams,
  type JSONRPCMessage,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { readRequestBody } from "./mcp-backend.ts";

export interface ConformanceBackend {
  /** The MCP endpoint, `http://127.0.0.1:{port}/mcp`. */
  url: string;
  /** Sessions currently open (one McpServer + transport each). */
  sessions: () => number;
  /** GET requests that carried Last-Event-ID (SSE resumptions). */
  resumptions: () => number;
  close(): Promise<void>;
}

/** 1×1 red PNG and a minimal WAV, as in the conformance package's everything-server. */
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * A conformance-style MCP server: everything the server scenarios of `@modelcontextprotocol/conformance`
 * (0.1.x) check, modelled on the package's `examples/servers/typescript/everything-server.ts`, built with
 * the SDK's McpServer + StreamableHTTPServerTransport (sessions on, an in-memory event store for
 * SEP-1699 resumability) on 127.0.0.1:0.
 *
 * - tools: test_simple_text, test_image_content, test_audio_content, test_embedded_resource,
 *   test_multiple_content_types, test_tool_with_logging, test_tool_with_progress, test_error_handling,
 *   test_sampling, test_elicitation, test_elicitation_sep1034_defaults, test_elicitation_sep1330_enums,
 *   test_reconnection (closes its POST SSE stream mid-call; the answer is replayed on GET + Last-Event-ID)
 * - resources: test://static-text, test://static-binary, test://watched-resource (subscribe/unsubscribe),
 *   template test://template/{id}/data
 * - prompts: test_simple_prompt, test_prompt_with_arguments (arg1 completable), test_prompt_with_embedded_resource,
 *   test_prompt_with_image
 * - logging (logging/setLevel), completions, ping (SDK)
 * - DNS-rebinding protection as a local server must have it: a Host or Origin that is not loopback → 403.
 */
export async function startConformanceBackend(): Promise<ConformanceBackend> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Map<string, McpServer>();
  const events = new Map<EventId, { streamId: StreamId; message: JSONRPCMessage }>();
  let eventSeq = 0;
  let resumptions = 0;

  // Event ids sort in the order they were stored (zero-padded counter) and name their stream.
  const eventStore: EventStore = {
    storeEvent: async (streamId, message) => {
      const eventId = `${streamId}::${String(++eventSeq).padStart(10, "0")}`;
      events.set(eventId, { streamId, message });
      return eventId;
    },
    getStreamIdForEventId: async (eventId) => events.get(eventId)?.streamId,
    replayEventsAfter: async (lastEventId, { send }) => {
      const streamId = events.get(lastEventId)?.streamId ?? lastEventId.split("::")[0] ?? "";
      for (const [eventId, event] of events) {
        if (event.streamId === streamId && eventId > lastEventId) await send(eventId, event.message);
      }
      return streamId;
    },
  };

  const rpcError = (res: ServerResponse, status: number, code: number, message: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    if (!loopbackHostAndOrigin(req)) {
      rpcError(res, 403, -32000, "Forbidden: Host or Origin is not a loopback address");
      return;
    }
    if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== "/mcp") {
      rpcError(res, 404, -32000, "Not found");
      return;
    }
    if (req.method === "GET" && req.headers["last-event-id"] !== undefined) resumptions++;
    const body = req.method === "POST" ? await readRequestBody(req) : undefined;
    const sessionId = req.headers["mcp-session-id"];
    const known = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (known) {
      await known.handleRequest(req, res, body);
      return;
    }
    if (sessionId !== undefined) {
      rpcError(res, 404, -32001, "Session not found");
      return;
    }
    if (req.method !== "POST" || !isInitialize(body)) {
      rpcError(res, 400, -32000, "Bad Request: no valid session ID provided");
      return;
    }
    const server = buildServer(transports);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore,
      retryInterval: 200,
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        servers.set(id, server);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id === undefined) return;
      transports.delete(id);
      servers.delete(id);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) rpcError(res, 500, -32603, String(error));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessions: () => transports.size,
    resumptions: () => resumptions,
    close: async () => {
      for (const server of [...servers.values()]) await server.close().catch(() => {});
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function isInitialize(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { method?: unknown }).method === "initialize";
}

/** DNS-rebinding protection for a server on loopback: Host (and Origin, when sent) must name a loopback host. */
function loopbackHostAndOrigin(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined || !LOOPBACK_HOSTS.has(hostnameOf(`http://${host}`))) return false;
  const origin = req.headers.origin;
  return origin === undefined || LOOPBACK_HOSTS.has(hostnameOf(origin));
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** One McpServer per session, with every tool, resource and prompt the conformance scenarios call. */
function buildServer(transports: Map<string, StreamableHTTPServerTransport>): McpServer {
  const mcp = new McpServer(
    { name: "conformance-backend", version: "1.0.0" },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
    },
  );
  const subscriptions = new Set<string>();
  const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const elicit = async (params: ElicitRequestFormParams, prefix: string) => {
    try {
      const result = await mcp.server.elicitInput(params);
      return text(`${prefix}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
    } catch (error) {
      return text(
        `Elicitation not supported or error: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  // ===== tools =====
  mcp.registerTool("test_simple_text", { description: "Tests simple text content response" }, async () =>
    text("This is a simple text response for testing."),
  );
  mcp.registerTool("test_image_content", { description: "Tests image content response" }, async () => ({
    content: [{ type: "image", data: PNG, mimeType: "image/png" }],
  }));
  mcp.registerTool("test_audio_content", { description: "Tests audio content response" }, async () => ({
    content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }],
  }));
  mcp.registerTool(
    "test_embedded_resource",
    { description: "Tests embedded resource content response" },
    async () => ({
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
    }),
  );
  mcp.registerTool(
    "test_multiple_content_types",
    { description: "Tests response with multiple content types (text, image, resource)" },
    async () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: PNG, mimeType: "image/png" },
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    }),
  );
  mcp.registerTool(
    "test_tool_with_logging",
    { description: "Tests tool that emits log messages during execution", inputSchema: {} },
    async (_args, extra) => {
      for (const [i, data] of [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
      ].entries()) {
        if (i > 0) await sleep(20);
        await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
      }
      return text("Tool with logging executed successfully");
    },
  );
  mcp.registerTool(
    "test_tool_with_progress",
    { description: "Tests tool that reports progress notifications", inputSchema: {} },
    async (_args, extra) => {
      const progressToken = extra._meta?.progressToken ?? 0;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(20);
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
        });
      }
      return text(String(progressToken));
    },
  );
  mcp.registerTool("test_error_handling", { description: "Tests error response handling" }, async () => {
    throw new Error("This tool intentionally returns an error for testing");
  });
  mcp.registerTool(
    "test_reconnection",
    {
      description:
        "Closes its SSE stream mid-call; the result arrives after the client reconnects (SEP-1699)",
      inputSchema: {},
    },
    async (_args, extra) => {
      const transport = extra.sessionId === undefined ? undefined : transports.get(extra.sessionId);
      transport?.closeSSEStream(extra.requestId);
      await sleep(100);
      return text(
        "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.",
      );
    },
  );
  mcp.registerTool(
    "test_sampling",
    {
      description: "Tests server-initiated sampling (LLM completion request)",
      inputSchema: { prompt: z.string().describe("The prompt to send to the LLM") },
    },
    async ({ prompt }) => {
      const result = await mcp.server.createMessage({
        messages: [{ role: "user", content: { type: "text", text: prompt } }],
        maxTokens: 100,
      });
      const content = Array.isArray(result.content) ? result.content[0] : result.content;
      return text(`LLM response: ${content?.type === "text" ? content.text : "No response"}`);
    },
  );
  mcp.registerTool(
    "test_elicitation",
    {
      description: "Tests server-initiated elicitation (user input request)",
      inputSchema: { message: z.string().describe("The message to show the user") },
    },
    async ({ message }) =>
      elicit(
        {
          message,
          requestedSchema: {
            type: "object",
            properties: { response: { type: "string", description: "User's response" } },
            required: ["response"],
          },
        },
        "User response",
      ),
  );
  mcp.registerTool(
    "test_elicitation_sep1034_defaults",
    { description: "Tests elicitation with default values per SEP-1034", inputSchema: {} },
    async () =>
      elicit(
        {
          message: "Please review and update the form fields with defaults",
          requestedSchema: {
            type: "object",
            properties: {
              name: { type: "string", description: "User name", default: "John Doe" },
              age: { type: "integer", description: "User age", default: 30 },
              score: { type: "number", description: "User score", default: 95.5 },
              status: {
                type: "string",
                description: "User status",
                enum: ["active", "inactive", "pending"],
                default: "active",
              },
              verified: { type: "boolean", description: "Verification status", default: true },
            },
            required: [],
          },
        },
        "Elicitation completed",
      ),
  );
  mcp.registerTool(
    "test_elicitation_sep1330_enums",
    { description: "Tests elicitation with enum schema improvements per SEP-1330", inputSchema: {} },
    async () =>
      elicit(
        {
          message: "Please select options from the enum fields",
          requestedSchema: {
            type: "object",
            properties: {
              untitledSingle: {
                type: "string",
                description: "Select one option",
                enum: ["option1", "option2", "option3"],
              },
              titledSingle: {
                type: "string",
                description: "Select one option with titles",
                oneOf: [
                  { const: "value1", title: "First Option" },
                  { const: "value2", title: "Second Option" },
                  { const: "value3", title: "Third Option" },
                ],
              },
              legacyEnum: {
                type: "string",
                description: "Select one option (legacy)",
                enum: ["opt1", "opt2", "opt3"],
                enumNames: ["Option One", "Option Two", "Option Three"],
              },
              untitledMulti: {
                type: "array",
                description: "Select multiple options",
                minItems: 1,
                maxItems: 3,
                items: { type: "string", enum: ["option1", "option2", "option3"] },
              },
              titledMulti: {
                type: "array",
                description: "Select multiple options with titles",
                minItems: 1,
                maxItems: 3,
                items: {
                  anyOf: [
                    { const: "value1", title: "First Choice" },
                    { const: "value2", title: "Second Choice" },
                    { const: "value3", title: "Third Choice" },
                  ],
                },
              },
            },
            required: [],
          },
        },
        "Elicitation completed",
      ),
  );

  // ===== resources =====
  mcp.registerResource(
    "static-text",
    "test://static-text",
    {
      title: "Static Text Resource",
      description: "A static text resource for testing",
      mimeType: "text/plain",
    },
    async () => ({
      contents: [
        {
          uri: "test://static-text",
          mimeType: "text/plain",
          text: "This is the content of the static text resource.",
        },
      ],
    }),
  );
  mcp.registerResource(
    "static-binary",
    "test://static-binary",
    {
      title: "Static Binary Resource",
      description: "A static binary resource (image) for testing",
      mimeType: "image/png",
    },
    async () => ({ contents: [{ uri: "test://static-binary", mimeType: "image/png", blob: PNG }] }),
  );
  mcp.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", {
      list: undefined,
      complete: { id: (value) => ["123", "456", "789"].filter((id) => id.startsWith(value)) },
    }),
    {
      title: "Resource Template",
      description: "A resource template with parameter substitution",
      mimeType: "application/json",
    },
    async (uri, { id }) => ({
      contents: [
        {
          uri: uri.toString(),
          mimeType: "application/json",
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );
  mcp.registerResource(
    "watched-resource",
    "test://watched-resource",
    { title: "Watched Resource", description: "A resource clients may subscribe to", mimeType: "text/plain" },
    async () => ({
      contents: [
        { uri: "test://watched-resource", mimeType: "text/plain", text: "Watched resource content" },
      ],
    }),
  );
  mcp.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  // ===== prompts (arg1 is completable: completion/complete answers for it) =====
  mcp.registerPrompt(
    "test_simple_prompt",
    { title: "Simple Test Prompt", description: "A simple prompt without arguments" },
    async () => ({
      messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }],
    }),
  );
  mcp.registerPrompt(
    "test_prompt_with_arguments",
    {
      title: "Prompt With Arguments",
      description: "A prompt with required arguments",
      argsSchema: {
        arg1: completable(z.string().describe("First test argument"), (value) =>
          ["paris", "park", "party", "test", "testing"].filter((word) => word.startsWith(value)),
        ),
        arg2: z.string().describe("Second test argument"),
      },
    },
    async ({ arg1, arg2 }) => ({
      messages: [
        {
          role: "user",
          content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  mcp.registerPrompt(
    "test_prompt_with_embedded_resource",
    {
      title: "Prompt With Embedded Resource",
      description: "A prompt that includes an embedded resource",
      argsSchema: { resourceUri: z.string().describe("URI of the resource to embed") },
    },
    async ({ resourceUri }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "resource",
            resource: {
              uri: resourceUri,
              mimeType: "text/plain",
              text: "Embedded resource content for testing.",
            },
          },
        },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ],
    }),
  );
  mcp.registerPrompt(
    "test_prompt_with_image",
    { title: "Prompt With Image", description: "A prompt that includes image content" },
    async () => ({
      messages: [
        { role: "user", content: { type: "image", data: PNG, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ],
    }),
  );
  return mcp;
}
