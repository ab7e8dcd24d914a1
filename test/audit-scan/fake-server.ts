import type { ListedTool } from "../../src/audit/scan/types.ts";

/** How a loopback test MCP server misbehaves; the defaults make a well-behaved one. */
export interface FakeServerOptions {
  /** "valid": only `Bearer good-token`; "any": any bearer token; "none": no authentication. */
  auth?: "valid" | "any" | "none";
  /** Serve RFC 9728 metadata and name it in the 401 challenge. */
  resourceMetadata?: boolean;
  pkceMethods?: string[];
  /** Refuse requests whose Origin is not the server's own. */
  originCheck?: boolean;
  /** Answer a malformed request with a stack trace and a file path. */
  stackTraces?: boolean;
  /** Answer CORS requests with the caller's origin and credentials allowed. */
  reflectCors?: boolean;
  /** Session ids counting up from 1000 instead of random UUIDs. */
  sequentialSessions?: boolean;
  tools?: ListedTool[];
  /** A `Server` header on every answer (a version banner). */
  serverHeader?: string;
  /** The unknown-method error names an internal address. */
  internalAddress?: boolean;
  /** The `resource` the metadata names, instead of the URL. */
  metadataResource?: string;
  /** Serve no authorization server metadata. */
  noAuthServerMetadata?: boolean;
  /** Advertise dynamic registration and CIMD in the authorization server metadata. */
  registration?: boolean;
  /** Prompts for prompts/list (the capability is announced when given). */
  prompts?: { name: string; description?: string }[];
  /** Serve HTTPS with this (self-signed) certificate. */
  tls?: { cert: string; key: string };
}

export const GOOD_TOKEN = "good-token-0123456789abcdef";

export const CLEAN_TOOLS: ListedTool[] = [
  {
    name: "get_weather",
    description: "Returns the current weather for a city.",
    inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    annotations: { readOnlyHint: true },
  },
];

export interface FakeServer {
  url: string;
  /** Every request the server received: method, path, Authorization. */
  received: { method: string; path: string; authorization: string | null }[];
  close(): void;
}

/** A hand-written Streamable HTTP MCP server (JSON answers) on 127.0.0.1:0. */
export function startFakeServer(options: FakeServerOptions = {}): FakeServer {
  const auth = options.auth ?? "valid";
  const received: FakeServer["received"] = [];
  let counter = 1000;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    fetch: async (request) => {
      const response = await answer(request);
      if (options.serverHeader) response.headers.set("server", options.serverHeader);
      return response;
    },
  });

  async function answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const origin = url.origin;
    received.push({
      method: request.method,
      path: url.pathname,
      authorization: request.headers.get("authorization"),
    });
    const cors: Record<string, string> =
      options.reflectCors && request.headers.get("origin")
        ? {
            "access-control-allow-origin": request.headers.get("origin") as string,
            "access-control-allow-credentials": "true",
          }
        : {};
    if (url.pathname === "/.well-known/oauth-protected-resource/mcp" && options.resourceMetadata !== false) {
      return Response.json({
        resource: options.metadataResource ?? `${origin}/mcp`,
        authorization_servers: [origin],
      });
    }
    if (url.pathname === "/.well-known/oauth-authorization-server" && !options.noAuthServerMetadata) {
      return Response.json({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        code_challenge_methods_supported: options.pkceMethods ?? ["S256"],
        ...(options.registration
          ? { registration_endpoint: `${origin}/register`, client_id_metadata_document_supported: true }
          : {}),
      });
    }
    if (url.pathname !== "/mcp") return new Response("not found", { status: 404 });
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    const requestOrigin = request.headers.get("origin");
    if (options.originCheck !== false && requestOrigin !== null && requestOrigin !== origin) {
      return Response.json(
        { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Origin not allowed" } },
        { status: 403 },
      );
    }
    const authorization = request.headers.get("authorization");
    const authorized =
      auth === "none" ||
      (auth === "any" && authorization?.startsWith("Bearer ")) ||
      (auth === "valid" && authorization === `Bearer ${GOOD_TOKEN}`);
    if (!authorized) {
      const challenge =
        options.resourceMetadata === false
          ? "Bearer"
          : `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
      return Response.json(
        { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Unauthorized" } },
        { status: 401, headers: { "www-authenticate": challenge, ...cors } },
      );
    }
    const text = await request.text();
    let message: { id?: unknown; method?: string; params?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      const data = options.stackTraces
        ? "SyntaxError: Unexpected end of JSON input\n    at JSON.parse (<anonymous>)\n    at handle (/srv/app/server.js:42:17)"
        : undefined;
      return Response.json(
        {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32700, message: "Parse error", ...(data ? { data } : {}) },
        },
        { status: options.stackTraces ? 500 : 400, headers: cors },
      );
    }
    const reply = (body: unknown, headers: Record<string, string> = {}) =>
      Response.json(
        { jsonrpc: "2.0", id: message.id, ...(body as object) },
        { headers: { ...cors, ...headers } },
      );
    switch (message.method) {
      case "initialize":
        return reply(
          {
            result: {
              protocolVersion: "2025-06-18",
              capabilities: { tools: {}, ...(options.prompts ? { prompts: {} } : {}) },
              serverInfo: { name: "fake", version: "1.0.0" },
            },
          },
          { "mcp-session-id": options.sequentialSessions ? String(counter++) : crypto.randomUUID() },
        );
      case "notifications/initialized":
        return new Response(null, { status: 202 });
      case "prompts/list":
        return options.prompts
          ? reply({ result: { prompts: options.prompts } })
          : reply({ error: { code: -32601, message: "Method not found" } });
      case "tools/list":
        return reply({ result: { tools: options.tools ?? CLEAN_TOOLS } });
      case "tools/call": {
        const name = (message.params as { name?: unknown } | undefined)?.name;
        const known = (options.tools ?? CLEAN_TOOLS).some((t) => t.name === name);
        return known
          ? reply({ result: { content: [{ type: "text", text: `called ${String(name)}` }] } })
          : reply({ error: { code: -32602, message: "Unknown tool" } });
      }
      default:
        return reply({
          error: {
            code: -32601,
            message: options.internalAddress
              ? "Method not found (upstream 10.20.30.40:8080)"
              : "Method not found",
          },
        });
    }
  }
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${server.port}/mcp`,
    received,
    close: () => server.stop(true),
  };
}
