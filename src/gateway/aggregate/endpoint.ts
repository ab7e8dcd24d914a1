import {
  type ClientCapabilities,
  ClientCapabilitiesSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { readDeclaredText, readText } from "../../http/body.ts";
import { corsHeaders, originAllowed } from "../../http/cors.ts";
import { declaredTooLarge } from "../../http/request-hooks.ts";
import type { Logger } from "../../logger.ts";
import { type BearerResult, wwwAuthenticate } from "../../oauth/bearer.ts";
import type { ResourceCatalog } from "../../oauth/resources.ts";
import type { McpRateLimits } from "../../policy/rate-limits/mcp.ts";
import type { CachedBearer } from "../bearer-cache.ts";
import { countedSse, type OpenStreams } from "../open-streams.ts";
import { MCP_CORS } from "../proxy.ts";
import { rpcError } from "../rpc-error.ts";
import type { McpServer } from "../types.ts";
import { PROXIED_CSP, sandboxed } from "../upstream-response.ts";
import type { Caller } from "../user-context.ts";
import type { AggregateAudit, RequestFacts, RowFacts } from "./audit.ts";
import { acceptsGzip } from "./gzip-page.ts";
import type { LeanPath, RpcRequest } from "./lean.ts";
import type { RequestRoutes, Routed } from "./request-route.ts";
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
  /** The client's address (src/http/client-ip.ts): network allow-lists decide on it. */
  clientIp?: (request: Request) => string;
  audit: AggregateAudit;
  /** Which backend a request goes to (for the per-user limits and the activity rows). */
  routes: RequestRoutes;
  lean: LeanPath;
  /** MCP requests per user and server (RATE_LIMIT_MCP_*); undefined when rate limits are off. */
  rateLimits?: McpRateLimits;
  /** Counts the SSE answers open to clients (the `/metrics` gauge); none when absent. */
  sseStreams?: OpenStreams;
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

  /** Lean answers, built with their sandbox headers and never SSE: nothing to add on the way out. */
  private readonly sealed = new WeakSet<Response>();

  /** Each session's lean answer headers, plain and gzip-encoded: a Response copies a `Headers` cheaply. */
  private readonly answerHeaders = new WeakMap<AggregateSession, { plain?: Headers; gzip?: Headers }>();

  private leanHeaders(session: AggregateSession, encoding: "gzip" | undefined): Headers {
    let kept = this.answerHeaders.get(session);
    if (kept === undefined) {
      kept = {};
      this.answerHeaders.set(session, kept);
    }
    const key = encoding === undefined ? "plain" : "gzip";
    let headers = kept[key];
    if (headers === undefined) {
      headers = new Headers({
        "content-type": "application/json",
        "mcp-session-id": session.id,
        "content-security-policy": PROXIED_CSP,
        "x-content-type-options": "nosniff",
        // As every answer gets it (src/http/security-headers.ts); present, it is not set again.
        "referrer-policy": "no-referrer",
      });
      if (encoding !== undefined) {
        headers.set("content-encoding", encoding);
        headers.set("vary", "Accept-Encoding");
      }
      kept[key] = headers;
    }
    return headers;
  }

  async handle(request: Request): Promise<Response> {
    const origin = request.headers.get("origin");
    if (origin === null) {
      if (request.method === "OPTIONS") return new Response(null, { status: 204 });
      const response = await this.serve(request);
      if (this.sealed.has(response)) return response;
      return countedSse(sandboxed(response), this.deps.sseStreams);
    }
    if (!originAllowed(origin, this.options.publicUrl, this.options.allowedOrigins)) {
      return rpcError(403, null, -32600, "Origin not allowed");
    }
    const cors = corsHeaders(origin, MCP_CORS);
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    const response = sandboxed(await this.serve(request));
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
    return countedSse(response, this.deps.sseStreams);
  }

  private async serve(request: Request): Promise<Response> {
    const { bearer, resources, sessions, logger, audit } = this.deps;
    const ip = this.deps.clientIp?.(request);
    const facts = audit.arrived(request, ip ?? null);
    const method = request.method;
    const answered = (response: Response, row: Partial<RowFacts> = {}): Response => {
      audit.row(facts, {
        server: row.server ?? "",
        method: row.method ?? method,
        target: row.target ?? null,
        httpStatus: row.httpStatus ?? response.status,
        rpcErrorCode: row.rpcErrorCode ?? null,
        responseBytes:
          row.responseBytes !== undefined
            ? row.responseBytes
            : method === "GET" && response.ok
              ? null
              : contentLength(response),
        refused: row.refused,
      });
      return response;
    };
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
      return answered(rpcError(401, null, -32001, verified.description, { "WWW-Authenticate": challenge }));
    }
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      return rpcError(405, null, -32600, "Method not allowed", { Allow: "GET, POST, DELETE, OPTIONS" });
    }
    const caller: Caller = {
      principal: verified.principal,
      scope: verified.claims.scope,
      clientId: verified.claims.client_id,
      ip,
    };
    facts.caller = caller;
    const headerVersion = request.headers.get("mcp-protocol-version");
    if (headerVersion !== null && !isSupported(headerVersion)) {
      return answered(
        rpcError(
          400,
          null,
          -32000,
          `Unsupported MCP-Protocol-Version: ${headerVersion} (supported: ${AGGREGATE_PROTOCOL_VERSIONS.join(", ")})`,
        ),
      );
    }
    const owner = verified.principal.id;

    let session: AggregateSession | undefined;
    const sessionId = facts.sessionId;
    if (sessionId !== null) {
      session = sessions.get(sessionId);
      if (!session) return answered(rpcError(404, null, -32001, "Session not found"));
      if (session.owner !== owner) {
        logger.warn(
          { event: "session_hijack_attempt", server: "/mcp", userId: owner, ownerId: session.owner },
          "an MCP session id was presented by a user who did not open it",
        );
        audit.sessionHijack(facts, owner, session.owner);
        // Not the owner's session: the row names no session.
        facts.sessionId = null;
        return answered(rpcError(404, null, -32001, "Session not found"));
      }
      session.caller = caller;
    } else if (method !== "POST") {
      return answered(rpcError(400, null, -32000, "Bad Request: Mcp-Session-Id header is required"));
    }

    if (method !== "POST")
      return answered(await (session as AggregateSession).transport.handleRequest(request));

    // As the proxy reads it: a declared length within the limit in one read (no stream reader).
    let text: string;
    const length = request.headers.get("content-length");
    if (length !== null && !declaredTooLarge(length, this.options.maxBodyBytes)) {
      text = await readDeclaredText(request);
    } else {
      const read = await readText(request, this.options.maxBodyBytes);
      if (!read.ok)
        return answered(
          rpcError(413, null, -32600, `Request body larger than ${this.options.maxBodyBytes} bytes`),
        );
      text = read.value;
    }
    facts.requestBytes = Buffer.byteLength(text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return answered(rpcError(400, null, -32700, "Parse error: Invalid JSON"));
    }
    const messages = Array.isArray(body) ? body : [body];
    const firstMethod = (messages[0] as { method?: unknown } | undefined)?.method;
    const bodyMethod = typeof firstMethod === "string" && !Array.isArray(body) ? firstMethod : "POST";

    if (session) {
      // Without the header, the version this session negotiated (a client that omits it is old).
      const version = headerVersion ?? session.protocolVersion;
      if (Array.isArray(body) && version >= NO_BATCHES_FROM) {
        return answered(
          rpcError(400, null, -32600, `JSON-RPC batches are not supported in protocol version ${version}`),
          { method: "POST" },
        );
      }
      const requests = messages.filter(isRequest);
      if (requests.length === 0) {
        // Notifications and responses: 202, one row for the body.
        return answered(await session.transport.handleRequest(request, { parsedBody: body }), {
          method: bodyMethod,
        });
      }
      return await this.inSession(request, session, body, requests, facts, answered);
    }

    // No session yet: only a single initialize request opens one.
    const requested = initializeVersion(body);
    if (requested === undefined) {
      return answered(
        rpcError(400, null, -32000, "Bad Request: Mcp-Session-Id header is required (or send initialize)"),
        { method: bodyMethod },
      );
    }
    const refusal = sessions.refusal(owner);
    if (refusal) {
      return answered(
        rpcError(refusal.status, jsonRpcId(body), -32000, refusal.message, { "Retry-After": "60" }),
        { method: "initialize", rpcErrorCode: -32000 },
      );
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
    facts.sessionId = created.transport.sessionId ?? null;
    return answered(response, { method: "initialize", responseBytes: null });
  }

  /**
   * Requests in a session: each is routed (which backend, for the per-user limit of that server and
   * the activity row), counted against that limit, then answered on the lean path (`lean.ts`) or by
   * the session's SDK server. A single request over the limit is refused with 429; one inside a
   * batch gets its JSON-RPC error in the batch's stream.
   */
  private async inSession(
    request: Request,
    session: AggregateSession,
    body: unknown,
    requests: RpcRequest[],
    facts: RequestFacts,
    answered: (response: Response, row?: Partial<RowFacts>) => Response,
  ): Promise<Response> {
    const { audit, routes, rateLimits, lean } = this.deps;
    const owner = session.owner;
    let routed: Routed[];
    if (requests.length === 1) {
      const first = requests[0] as RpcRequest;
      // Most often decided without waiting (see RequestRoutes.route): no promise to settle then.
      const route = routes.route(session, first.method, first.params);
      routed = [route instanceof Promise ? await route : route];
    } else {
      routed = await Promise.all(
        requests.map((message) => routes.route(session, message.method, message.params)),
      );
    }
    const single = Array.isArray(body) ? undefined : requests[0];
    const refused: boolean[] = routed.map((route, index) => {
      const server = route.server;
      if (!rateLimits || !server || route.denied || rateLimits.allow(server.id, owner)) return false;
      audit.rateLimited(facts, server.name, (requests[index] as RpcRequest).method);
      return true;
    });

    if (single) {
      const route = routed[0] as Routed;
      const row = { method: single.method, target: route.target, server: route.server?.name ?? "" };
      if (refused[0]) {
        const server = route.server as McpServer;
        // The limiter's refusal reads the id from a body: the one already read is handed to it.
        const replay = new Request(request.url, { method: "POST", body: JSON.stringify(single) });
        const response = await (rateLimits as McpRateLimits).refusal(replay, server.id, owner, rpcError);
        return answered(response, { ...row, rpcErrorCode: -32000, refused: "rate_limited" });
      }
      if (lean.takes(session, single, request.headers.get("accept"))) {
        const gzip = acceptsGzip(request.headers.get("accept-encoding"));
        const answer = await lean.answer(session, single, route, request, gzip);
        const response = new Response(answer.body, { headers: this.leanHeaders(session, answer.encoding) });
        this.sealed.add(response);
        return answered(response, {
          ...row,
          rpcErrorCode: answer.errorCode,
          responseBytes: answer.bytes,
          refused: route.denied ? "denied" : undefined,
        });
      }
    }

    requests.forEach((message, index) => {
      const route = routed[index] as Routed;
      const row = {
        server: route.server?.name ?? "",
        method: message.method,
        target: route.target,
        responseBytes: null,
        refused: refused[index] ? ("rate_limited" as const) : route.denied ? ("denied" as const) : undefined,
      };
      if (refused[index]) {
        session.refuse(
          message.id,
          new McpError(-32000, `Rate limit exceeded on ${route.server?.name ?? "this server"}; retry later`),
        );
      }
      session.onAnswer(message.id, (rpcErrorCode) =>
        this.deps.audit.row(facts, { ...row, httpStatus: 200, rpcErrorCode }),
      );
    });
    // A request the client cancels, or whose client goes away, is never answered: its row says so.
    request.signal.addEventListener(
      "abort",
      () => {
        for (const message of requests) session.forgetAnswer(message.id);
      },
      { once: true },
    );
    session.cancelOnDisconnect(request.signal, body);
    const response = await session.transport.handleRequest(request, { parsedBody: body });
    if (!response.ok) {
      // Refused by the transport before any handler ran: one row for the body.
      for (const message of requests) session.forgetAnswer(message.id);
      return answered(response, { method: single?.method ?? "POST" });
    }
    return response;
  }
}

/** The declared size of a response (the gateway's own answers declare it), else null. */
function contentLength(response: Response): number | null {
  const declared = response.headers.get("content-length");
  return declared === null ? null : Number(declared);
}

function isRequest(message: unknown): message is RpcRequest {
  if (!message || typeof message !== "object") return false;
  const { method, id } = message as { method?: unknown; id?: unknown };
  return typeof method === "string" && (typeof id === "string" || typeof id === "number");
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
