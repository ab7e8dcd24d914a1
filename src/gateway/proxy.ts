import { ProxyActivity } from "../audit/activity/proxy-activity.ts";
import type { ActivitySink } from "../audit/activity/types.ts";
import type { ToolPinning } from "../audit/pinning/service.ts";
import type { SecurityEventSink, SecurityEventType } from "../audit/security-events/types.ts";
import type { Clock } from "../clock.ts";
import { readDeclaredText, readText } from "../http/body.ts";
import { corsHeaders, originAllowed } from "../http/cors.ts";
import { isEventStream } from "../http/event-stream.ts";
import { jsonRpcRequestId } from "../http/json-rpc-id.ts";
import { declaredTooLarge } from "../http/request-hooks.ts";
import { searchOf } from "../http/url-parts.ts";
import type { Logger } from "../logger.ts";
import { type BearerAccepted, wwwAuthenticate } from "../oauth/bearer.ts";
import type { KeyStore } from "../oauth/keys.ts";
import type { ResourceCatalog } from "../oauth/resources.ts";
import { scopeCovers } from "../oauth/scopes.ts";
import type { AccessPolicy } from "../policy/access-policy.ts";
import type { McpRateLimits } from "../policy/rate-limits/mcp.ts";
import {
  filterToolsList,
  inspectToolRequest,
  type ListedRequest,
  type ToolAllowed,
} from "../policy/tool-gate.ts";
import { type BackendAuth, SignInAgain } from "./backend-auth.ts";
import type { CachedBearer } from "./bearer-cache.ts";
import type { LegacySseBridge } from "./legacy-sse/bridge.ts";
import type { OpenStreams } from "./open-streams.ts";
import type { ServerRegistry } from "./registry.ts";
import { rpcError } from "./rpc-error.ts";
import type { SessionStore } from "./sessions.ts";
import { withSseKeepAlive } from "./sse-keepalive.ts";
import type { StdioBridge } from "./stdio/bridge.ts";
import type { McpServer } from "./types.ts";
import { bodyIsEmpty, confineBackendHeaders, isMcpContentType, sandboxed } from "./upstream-response.ts";
import type { UpstreamWatch } from "./upstream-watch.ts";
import type { BackendAddressGuard } from "./url-guard.ts";
import { userContextHeaders } from "./user-context.ts";

/** Request headers copied to the backend; everything else (Authorization, Cookie, X-User-*, hop-by-hop) is dropped. */
const FORWARDED_REQUEST_HEADERS = [
  "accept",
  "content-type",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
  "accept-encoding",
  "user-agent",
] as const;

export const MCP_CORS = {
  methods: "GET, POST, DELETE, OPTIONS",
  allowHeaders: "Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID",
  exposeHeaders: "WWW-Authenticate, Mcp-Session-Id, Retry-After, RateLimit-Policy, RateLimit",
  maxAgeSeconds: 600,
};

export interface ProxyOptions {
  publicUrl: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
  sseKeepAliveMs: number;
  userAssertionSeconds: number;
  /** Largest tools/list answer read to filter it (servers with tool rules for the user only). */
  toolsListMaxBytes: number;
  /** Leading characters of a request body scanned for its activity row's method and target. */
  activityScanChars: number;
}

export interface ProxyDeps {
  registry: ServerRegistry;
  backendAuth: BackendAuth;
  sessions: SessionStore;
  legacy: LegacySseBridge;
  stdio: StdioBridge;
  bearer: CachedBearer;
  resources: ResourceCatalog;
  keys: KeyStore;
  upstreamWatch: UpstreamWatch;
  addressGuard: BackendAddressGuard;
  policy: AccessPolicy;
  /** Per user and server (RATE_LIMIT_MCP_*); undefined when rate limits are off. */
  rateLimits?: McpRateLimits;
  clock: Clock;
  logger: Logger;
  /** One row per request to an existing server (src/audit/activity). */
  activity: ActivitySink;
  /** Session hijack attempts, refusals and rate-limit hits (src/audit/security-events). */
  securityEvents?: SecurityEventSink;
  /** The client's address for the row ("unknown" when it has none, e.g. handled in-process). */
  clientIp: (request: Request) => string;
  /** Tool-definition pinning (src/audit/pinning); undefined: none. */
  pinning?: ToolPinning;
  /** Counts the backend SSE answers open to clients (the `/metrics` gauge); none when absent. */
  sseStreams?: OpenStreams;
}

type JsonRpcId = string | number | null;

/** The per-server MCP proxy: `/mcp/{server}` and `/{server}/mcp` (POST, GET, DELETE, OPTIONS). */
export class McpProxy {
  constructor(
    private readonly deps: ProxyDeps,
    private readonly options: ProxyOptions,
  ) {}

  /** Not `async` on purpose: without an Origin (every non-browser client) the result is `serve`'s own promise. */
  handle(request: Request, serverName: string): Promise<Response> {
    const origin = request.headers.get("origin");
    if (origin === null) {
      return request.method === "OPTIONS"
        ? Promise.resolve(new Response(null, { status: 204 }))
        : this.serve(request, serverName);
    }
    return this.handleCors(request, serverName, origin);
  }

  private async handleCors(request: Request, serverName: string, origin: string): Promise<Response> {
    if (!originAllowed(origin, this.options.publicUrl, this.options.allowedOrigins)) {
      return rpcError(403, null, -32600, "Origin not allowed");
    }
    const cors = corsHeaders(origin, MCP_CORS);
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    const response = await this.serve(request, serverName);
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
    return response;
  }

  /** A security event of this request, by the token's user and client, with the client address. */
  private securityEvent(
    type: SecurityEventType,
    request: Request,
    caller: BearerAccepted | undefined,
    details: Record<string, unknown>,
  ): void {
    if (this.deps.securityEvents === undefined) return;
    const ip = this.deps.clientIp(request);
    this.deps.securityEvents.record({
      type,
      userId: caller?.principal.id,
      clientId: caller?.claims.client_id,
      ip: ip === "unknown" ? null : ip,
      userAgent: request.headers.get("user-agent")?.slice(0, 512),
      details: { endpoint: "/mcp/{server}", ...details },
    });
  }

  /**
   * RFC 9728 metadata of the URL the client used: clients require its `resource` to be a prefix of
   * that URL, so the alias `/{server}/mcp` has metadata of its own (the same resource).
   */
  private resourceMetadataUrl(request: Request, server: McpServer): string {
    const alias = new URL(request.url).pathname === `/${server.name}/mcp`;
    const path = alias ? `${server.name}/mcp` : `mcp/${server.name}`;
    return `${this.options.publicUrl}/.well-known/oauth-protected-resource/${path}`;
  }

  /** Serves one request and records its activity row (none for a name that is no enabled server). */
  private async serve(request: Request, serverName: string): Promise<Response> {
    const activity = new ProxyActivity(this.deps.clock.now(), performance.now());
    const response = await this.serveCall(request, serverName, activity);
    if (activity.server !== undefined) {
      const ip = this.deps.clientIp(request);
      activity.finish(this.deps.activity, request, response, this.options.activityScanChars, ip);
    }
    return response;
  }

  private async serveCall(request: Request, serverName: string, activity: ProxyActivity): Promise<Response> {
    const { registry, bearer, resources, logger } = this.deps;
    /** Network allow-lists: nothing is looked up unless some server, user or group has one. */
    const networks = this.deps.policy.networks;
    const server = registry.byName(serverName);
    if (!server?.enabled) return notFound();
    activity.server = server.name;
    const method = request.method;
    const requestHeaders = request.headers;

    let verified: BearerAccepted | undefined;
    /** Set only when tool rules apply to this user on this server (src/policy/tool-gate.ts). */
    let toolAllowed: ToolAllowed | undefined;
    if (server.authRequired) {
      const resource = resources.serverResource(server.name);
      const authorization = requestHeaders.get("authorization");
      const result =
        bearer.cached(authorization, resource) ??
        (await bearer.authenticate(authorization, resource, request));
      if (!result.ok) {
        const challenge = wwwAuthenticate({
          resourceMetadata: this.resourceMetadataUrl(request, server),
          scope: resources.scopesOf(resource)?.join(" "),
          error: result.error,
          description: result.error ? result.description : undefined,
        });
        return rpcError(401, null, -32001, result.description, { "WWW-Authenticate": challenge });
      }
      activity.userId = result.principal.id;
      activity.clientId = result.claims.client_id;
      const access = this.deps.policy.decide(server, result.principal);
      if (!access.granted) {
        this.securityEvent("permission_denied", request, result, {
          server: server.name,
          reason: "server_not_granted",
        });
        return activity.refused(notFound());
      }
      if (networks?.active && !networks.admits(request, server, result.principal))
        return activity.refused(outsideNetworks());
      toolAllowed = access.toolAllowed;
      if (server.scopes.length > 0 && !scopeCovers(result.claims.scope, server.scopes)) {
        const challenge = wwwAuthenticate({
          resourceMetadata: this.resourceMetadataUrl(request, server),
          scope: resources.scopesOf(resource)?.join(" "),
          error: "insufficient_scope",
        });
        return rpcError(403, null, -32001, "The access token lacks a scope this server requires", {
          "WWW-Authenticate": challenge,
        });
      }
      verified = result;
      const limits = this.deps.rateLimits;
      if (limits !== undefined && !limits.allow(server.id, result.principal.id)) {
        this.securityEvent("rate_limited", request, result, { limit: "mcp", server: server.name });
        return limits.refusal(request, server.id, result.principal.id, rpcError);
      }
    } else if (networks?.active && !networks.admits(request, server, undefined)) {
      return activity.refused(outsideNetworks());
    }

    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      return rpcError(405, null, -32600, "Method not allowed", { Allow: "GET, POST, DELETE, OPTIONS" });
    }

    const owner = verified?.principal.id ?? "anonymous";
    const sessionId = requestHeaders.get("mcp-session-id");
    if (sessionId !== null) {
      const known = this.deps.sessions.get(server.name, sessionId);
      if (!known) return rpcError(404, null, -32001, "Session not found");
      if (known.owner !== owner) {
        logger.warn(
          { event: "session_hijack_attempt", server: server.name, userId: owner, ownerId: known.owner },
          "an MCP session id was presented by a user who did not open it",
        );
        // The session id itself is not recorded: it is a capability of its owner.
        this.securityEvent("session_hijack", request, verified, {
          server: server.name,
          sessionOwner: known.owner,
        });
        return rpcError(404, null, -32001, "Session not found");
      }
    } else if (method === "POST") {
      // A new session: refused, not made room for, when other users' sessions fill the store.
      const full = this.deps.sessions.refusal(owner);
      if (full) return rpcError(503, null, -32000, full, { "Retry-After": "60" });
    }

    // Read whole (not streamed): a fixed-length upload is cheaper for both sides, and the JSON-RPC
    // id of a 502/504 body comes from it (parsed only then).
    let body: string | undefined;
    if (method === "POST") {
      const declared = requestHeaders.get("content-length");
      if (declared !== null && !declaredTooLarge(declared, this.options.maxBodyBytes)) {
        body = await readDeclaredText(request); // declared and within the limit: one read
      } else {
        const text = await readText(request, this.options.maxBodyBytes);
        if (!text.ok)
          return rpcError(413, null, -32600, `Request body larger than ${this.options.maxBodyBytes} bytes`);
        body = text.value;
      }
    }

    activity.body = body;
    // Only for users with tool rules on this server, or on a server with tool-definition pinning,
    // is the body read as JSON-RPC: a denied or blocked tools/call is answered here, a tools/list
    // answer is reviewed by pinning and has the denied and blocked tools removed.
    let listed: ListedRequest | undefined;
    const pin = this.deps.pinning?.gate(server.id, server.name);
    if (toolAllowed !== undefined || pin !== undefined) {
      const userAllowed: ToolAllowed = toolAllowed ?? (() => true);
      const allowed: ToolAllowed =
        pin === undefined ? userAllowed : (tool) => userAllowed(tool) && !pin.blocked(tool);
      const verdict = inspectToolRequest(body, userAllowed, pin?.refusal);
      if (verdict.kind === "refuse") {
        logger.info(
          { event: "tool_request_denied", server: server.name, userId: owner },
          "a tool request the user's grants do not allow was answered by the gateway",
        );
        this.securityEvent("permission_denied", request, verified, {
          server: server.name,
          reason: "tool_not_allowed",
        });
        return activity.refused(verdict.response);
      }
      if (verdict.kind === "list") listed = { id: verdict.id, allowed, review: pin?.review };
    }

    if (server.transport === "stdio") {
      // The gateway runs the server itself: its bridge answers Streamable HTTP (sandboxed too).
      const answer = await this.deps.stdio.handle(server, {
        method,
        body,
        sessionId,
        accept: requestHeaders.get("accept") ?? "",
        signal: request.signal,
        owner,
      });
      return sandboxed(listed === undefined ? answer : await this.filteredList(answer, listed));
    }

    // Checked before every connection, from a short-lived cache (see BackendAddressGuard).
    const address =
      this.deps.addressGuard.cached(server.url) ?? (await this.deps.addressGuard.verdict(server.url));
    if (address.problem !== undefined) {
      logger.warn(
        { server: server.name, problem: address.problem },
        "backend address refused: the gateway does not connect to it",
      );
      return rpcError(502, jsonRpcId(body), -32000, "Backend address refused");
    }

    const forwarded = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = requestHeaders.get(name);
      if (value !== null) forwarded.set(name, value);
    }
    let backendHeaders: Record<string, string>;
    try {
      const userId = verified?.principal.id;
      if (verified === undefined || server.userContext === "none") {
        backendHeaders =
          this.deps.backendAuth.ready(server.id) ?? (await this.deps.backendAuth.headers(server.id, userId));
      } else {
        const [credential, context] = await Promise.all([
          this.deps.backendAuth.headers(server.id, userId),
          userContextHeaders(
            server,
            {
              principal: verified.principal,
              scope: verified.claims.scope,
              clientId: verified.claims.client_id,
            },
            this.deps.keys,
            this.options.publicUrl,
            this.deps.clock.now(),
            this.options.userAssertionSeconds,
          ),
        ]);
        backendHeaders = { ...credential, ...context };
      }
      for (const name in backendHeaders) forwarded.set(name, backendHeaders[name] as string);
    } catch (error) {
      if (error instanceof SignInAgain) return signInAgain(error, jsonRpcId(body));
      logger.error(
        { server: server.name, err: error instanceof Error ? error.message : String(error) },
        "backend credential unavailable",
      );
      return rpcError(502, jsonRpcId(body), -32000, "Backend credential unavailable");
    }

    if (server.transport === "sse") {
      // Legacy HTTP+SSE backend: the bridge terminates Streamable HTTP for it (its answers are
      // built by the gateway from parsed messages, and sandboxed like the proxied ones).
      const answer = await this.deps.legacy.handle(server, {
        method,
        body,
        sessionId,
        accept: requestHeaders.get("accept") ?? "",
        signal: request.signal,
        backendHeaders,
        owner,
      });
      return sandboxed(listed === undefined ? answer : await this.filteredList(answer, listed));
    }

    const query = searchOf(request.url);
    // Aborted when the client goes away or the first byte is late; watched until the answer starts.
    const call = this.deps.upstreamWatch.start(request, server.timeoutMs);
    if (listed !== undefined) forwarded.delete("accept-encoding"); // the answer is read
    let upstream: Response;
    try {
      upstream = await fetch(server.url + query, {
        method,
        headers: forwarded,
        body,
        signal: call.signal,
        redirect: "manual",
        decompress: false,
      });
    } catch (error) {
      if (call.timedOut) {
        logger.warn({ server: server.name, timeoutMs: server.timeoutMs }, "backend timed out");
        return rpcError(504, jsonRpcId(body), -32000, "Backend timed out");
      }
      if (request.signal.aborted) return new Response(null, { status: 499 });
      logger.warn(
        { server: server.name, err: error instanceof Error ? error.message : String(error) },
        "backend unreachable",
      );
      return rpcError(502, jsonRpcId(body), -32000, "Backend unreachable");
    } finally {
      this.deps.upstreamWatch.end(call);
    }

    const status = upstream.status;
    const headers = upstream.headers;
    const contentType = headers.get("content-type"); // confineBackendHeaders keeps it
    if (
      !isMcpContentType(contentType) ||
      (status >= 300 && status < 400) ||
      status === 401 ||
      status === 403
    ) {
      return this.unusualAnswer(upstream, server, body, { method, sessionId, owner });
    }
    this.trackSession(upstream, server, method, sessionId, owner);
    // The backend's answer is returned as it is (its body is never re-wrapped unless it is SSE),
    // with only the headers MCP needs and the gateway's sandbox.
    confineBackendHeaders(headers);
    activity.passthrough = listed === undefined;
    if (listed !== undefined) return this.filteredList(upstream, listed);
    if (contentType !== "application/json" && upstream.body !== null && isEventStream(contentType)) {
      headers.set("Cache-Control", "no-cache");
      headers.set("X-Accel-Buffering", "no");
      headers.delete("content-length");
      const stream = withSseKeepAlive(upstream.body, this.options.sseKeepAliveMs, {
        streams: this.deps.sseStreams,
        opening: method === "GET",
      });
      return new Response(stream, { status, headers });
    }
    return upstream;
  }

  private filteredList(answer: Response, listed: ListedRequest): Promise<Response> {
    return filterToolsList(answer, listed.id, listed.allowed, this.options.toolsListMaxBytes, listed.review);
  }

  private trackSession(
    upstream: Response,
    server: McpServer,
    method: string,
    sessionId: string | null,
    owner: string,
  ): void {
    if (!upstream.ok) return;
    const opened = upstream.headers.get("mcp-session-id");
    if (sessionId === null && opened !== null) this.deps.sessions.set(server.name, opened, { owner });
    if (method === "DELETE" && sessionId !== null) this.deps.sessions.delete(server.name, sessionId);
  }

  /**
   * An answer that is not plain MCP: a redirect (never followed: it would send the request, and
   * with a credential header the backend's credential, elsewhere), a 401/403 (the backend refused
   * the gateway's own credential; its WWW-Authenticate could steer the client to another
   * authorization server), or a body that is neither JSON nor SSE (HTML from a backend would run
   * on the gateway's origin): a 502. A body-less answer (202, 204, a DELETE's 200) passes without
   * a body; a 4xx without any Content-Type keeps its status with a body of the gateway's.
   */
  private async unusualAnswer(
    upstream: Response,
    server: McpServer,
    body: string | undefined,
    call: { method: string; sessionId: string | null; owner: string },
  ): Promise<Response> {
    const { logger } = this.deps;
    const status = upstream.status;
    const id = jsonRpcId(body);
    if (status >= 300 && status < 400) {
      await upstream.body?.cancel().catch(() => {});
      logger.warn(
        { server: server.name, status },
        "backend answered with a redirect; the gateway does not follow redirects: fix the server's URL",
      );
      return rpcError(502, id, -32000, "Backend answered with a redirect");
    }
    if (status === 401 || status === 403) {
      await upstream.body?.cancel().catch(() => {});
      if (server.credentialKind === "upstream_user_token" && call.owner !== "anonymous") {
        await this.deps.backendAuth.userTokenRefused(server.id, call.owner);
        return rpcError(502, id, -32000, "Backend refused your upstream token; the next call refreshes it");
      }
      this.deps.backendAuth.invalidate(server.id);
      logger.warn(
        { server: server.name, status, credentialKind: server.credentialKind },
        "backend refused the gateway's credential: check the server's backend credential",
      );
      return rpcError(502, id, -32000, "Backend refused the gateway's credential");
    }
    const contentType = upstream.headers.get("content-type");
    if (await bodyIsEmpty(upstream, server.timeoutMs)) {
      this.trackSession(upstream, server, call.method, call.sessionId, call.owner);
      const headers = upstream.headers;
      confineBackendHeaders(headers);
      headers.delete("content-type");
      headers.delete("content-length");
      headers.delete("content-encoding");
      return new Response(null, { status, headers });
    }
    if (contentType === null && status >= 400 && status < 500) {
      // Older MCP SDKs send their protocol errors (400, 404 for an unknown session, 405 to a GET)
      // without a Content-Type. Their status means something to clients (404: open a new
      // session), so it is kept; the body is the gateway's own.
      logger.debug({ server: server.name, status }, "backend answered an error without a content type");
      return rpcError(status, id, status === 404 ? -32001 : -32000, `Backend answered HTTP ${status}`);
    }
    logger.warn(
      { server: server.name, status, contentType },
      "backend answered with a content type MCP does not use; the answer was not passed on",
    );
    return rpcError(502, id, -32000, "Backend answered with an unsupported content type");
  }
}

function notFound(): Response {
  return rpcError(404, null, -32001, "Server not found");
}

/**
 * The backend acts with the person's own upstream token and there is none (the security event is
 * recorded where that was found): a JSON-RPC error answer to a request, so MCP clients show its
 * message (where to sign in again); 403 when there is no request id to answer.
 */
export function signInAgain(error: SignInAgain, id: JsonRpcId): Response {
  return rpcError(id === null ? 403 : 200, id, -32001, error.message);
}

function outsideNetworks(): Response {
  return rpcError(403, null, -32001, "This server is not reachable from your network address");
}

/** The id of a single JSON-RPC request body, or null (notification, batch, not JSON, no body). */
function jsonRpcId(body: string | undefined): JsonRpcId {
  return body === undefined ? null : jsonRpcRequestId(body);
}
