import { type ClientCapabilities, ClientCapabilitiesSchema } from "@modelcontextprotocol/sdk/types.js";
import { readText } from "../../http/body.ts";
import { corsHeaders, originAllowed } from "../../http/cors.ts";
import type { Logger } from "../../logger.ts";
import { type BearerResult, wwwAuthenticate } from "../../oauth/bearer.ts";
import type { ResourceCatalog } from "../../oauth/resources.ts";
import type { CachedBearer } from "../bearer-cache.ts";
import { MCP_CORS } from "../proxy.ts";
import { rpcError } from "../rpc-error.ts";
import { sandboxed } from "../upstream-response.ts";
import type { Caller } from "../user-context.ts";
import type { AggregateSession } from "./session.ts";
import type { AggregateSessionStore } from "./session-store.ts";

/** The protocol versions the aggregated endpoint speaks, newest first. */
export const AGGREGATE_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"] as const;
const LATEST = AGGREGATE_PROTOCOL_VERSIONS[0];
/** From this version on, JSON-RPC batches are not part of the protocol. */
const NO_BATCHES_FROM = "2025-06-18";

export interface EndpointOptions {
  publicUrl: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
}

export interface EndpointDeps {
  bearer: CachedBearer;
  resources: ResourceCatalog;
  sessions: AggregateSessionStore;
  logger: Logger;
  /** A new session for a client that sent initialize (not yet started). */
  newSession: (
    owner: string,
    caller: Caller,
    protocolVersion: string,
    clientCapabilities: ClientCapabilities,
  ) => Promise<AggregateSession>;
}

/**
 * `POST/GET/DELETE /mcp`, the HTTP part: origin, token for the aggregate resource, protocol
 * version, batches, session lookup and ownership, session limits. The MCP part is each session's
 * SDK transport and server (why: see `aggregate/index.ts`).
 */
export class AggregateEndpoint {
  constructor(
    private readonly deps: EndpointDeps,
    private readonly options: EndpointOptions,
  ) {}

  async handle(request: Request): Promise<Response> {
    const origin = request.headers.get("origin");
    if (origin === null) {
      if (request.method === "OPTIONS") return new Response(null, { status: 204 });
      return sandboxed(await this.serve(request));
    }
    if (!originAllowed(origin, this.options.publicUrl, this.options.allowedOrigins)) {
      return rpcError(403, null, -32600, "Origin not allowed");
    }
    const cors = corsHeaders(origin, MCP_CORS);
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    const response = sandboxed(await this.serve(request));
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
    return response;
  }

  private async serve(request: Request): Promise<Response> {
    const { bearer, resources, sessions, logger } = this.deps;
    const resource = resources.aggregate;
    const authorization = request.headers.get("authorization");
    const verified: BearerResult =
      bearer.cached(authorization, resource) ?? (await bearer.authenticate(authorization, resource));
    if (!verified.ok) {
      const challenge = wwwAuthenticate({
        resourceMetadata: `${this.options.publicUrl}/.well-known/oauth-protected-resource/mcp`,
        scope: resources.scopesOf(resource)?.join(" "),
        error: verified.error,
        description: verified.error ? verified.description : undefined,
      });
      return rpcError(401, null, -32001, verified.description, { "WWW-Authenticate": challenge });
    }
    const method = request.method;
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      return rpcError(405, null, -32600, "Method not allowed", { Allow: "GET, POST, DELETE, OPTIONS" });
    }
    const headerVersion = request.headers.get("mcp-protocol-version");
    if (headerVersion !== null && !isSupported(headerVersion)) {
      return rpcError(
        400,
        null,
        -32000,
        `Unsupported MCP-Protocol-Version: ${headerVersion} (supported: ${AGGREGATE_PROTOCOL_VERSIONS.join(", ")})`,
      );
    }
    const caller: Caller = {
      principal: verified.principal,
      scope: verified.claims.scope,
      clientId: verified.claims.client_id,
    };
    const owner = verified.principal.id;

    let session: AggregateSession | undefined;
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId !== null) {
      session = sessions.get(sessionId);
      if (!session) return rpcError(404, null, -32001, "Session not found");
      if (session.owner !== owner) {
        logger.warn(
          { event: "session_hijack_attempt", server: "/mcp", userId: owner, ownerId: session.owner },
          "an MCP session id was presented by a user who did not open it",
        );
        return rpcError(404, null, -32001, "Session not found");
      }
      session.caller = caller;
    } else if (method !== "POST") {
      return rpcError(400, null, -32000, "Bad Request: Mcp-Session-Id header is required");
    }

    if (method !== "POST") return await (session as AggregateSession).transport.handleRequest(request);

    const text = await readText(request, this.options.maxBodyBytes);
    if (!text.ok)
      return rpcError(413, null, -32600, `Request body larger than ${this.options.maxBodyBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text.value);
    } catch {
      return rpcError(400, null, -32700, "Parse error: Invalid JSON");
    }

    if (session) {
      // Without the header, the version this session negotiated (a client that omits it is old).
      const version = headerVersion ?? session.protocolVersion;
      if (Array.isArray(body) && version >= NO_BATCHES_FROM) {
        return rpcError(
          400,
          null,
          -32600,
          `JSON-RPC batches are not supported in protocol version ${version}`,
        );
      }
      session.cancelOnDisconnect(request.signal, body);
      return await session.transport.handleRequest(request, { parsedBody: body });
    }

    // No session yet: only a single initialize request opens one.
    const requested = initializeVersion(body);
    if (requested === undefined) {
      return rpcError(
        400,
        null,
        -32000,
        "Bad Request: Mcp-Session-Id header is required (or send initialize)",
      );
    }
    const refusal = sessions.refusal(owner);
    if (refusal) {
      return rpcError(refusal.status, jsonRpcId(body), -32000, refusal.message, { "Retry-After": "60" });
    }
    // Negotiation: a version the gateway speaks is kept; any other gets the newest one.
    const protocolVersion = isSupported(requested) ? requested : LATEST;
    const initialize = body as { params: { protocolVersion: string; capabilities?: unknown } };
    initialize.params.protocolVersion = protocolVersion;
    const declared = ClientCapabilitiesSchema.safeParse(initialize.params.capabilities ?? {});
    const created = await this.deps.newSession(
      owner,
      caller,
      protocolVersion,
      declared.success ? declared.data : {},
    );
    await created.start();
    const response = await created.transport.handleRequest(request, { parsedBody: initialize });
    if (created.transport.sessionId === undefined) await created.close(); // initialize failed
    return response;
  }
}

function isSupported(version: string): boolean {
  return (AGGREGATE_PROTOCOL_VERSIONS as readonly string[]).includes(version);
}

/** The protocol version an initialize request asks for; undefined when the body is not one. */
function initializeVersion(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; params?: { protocolVersion?: unknown } };
  if (message.method !== "initialize" || typeof message.params !== "object" || message.params === null)
    return undefined;
  const version = message.params.protocolVersion;
  return typeof version === "string" ? version : undefined;
}

function jsonRpcId(body: unknown): string | number | null {
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}
