import type { Clock } from "../../clock.ts";
import { randomToken } from "../../crypto/random.ts";
import type { Logger } from "../../logger.ts";
import type { SessionStore } from "../sessions.ts";
import type { McpServer } from "../types.ts";
import type { JsonRpcId, JsonRpcMessage } from "./messages.ts";
import { LegacySession } from "./session.ts";
import { type BridgedCall, httpError, SessionBridge, type SessionBridgeOptions } from "./session-bridge.ts";
import { LegacyUpstream, UpstreamError } from "./upstream.ts";

export interface LegacyBridgeOptions extends SessionBridgeOptions {
  maxMessageBytes: number;
}

/** What the proxy hands over once the caller is authenticated, authorised and owns the session. */
export interface LegacyCall extends BridgedCall {
  /** Backend credential and user-context headers for this call. */
  backendHeaders: Record<string, string>;
}

/**
 * Serves Streamable HTTP to clients for backends that speak only the legacy HTTP+SSE transport
 * (2024-11-05): `initialize` opens a backend SSE connection and a gateway session
 * (`Mcp-Session-Id`); each request is POSTed to the backend's endpoint and its answer, with the
 * notifications and server requests that belong to it, streamed back as SSE (or JSON when the
 * client accepts only JSON); GET opens the stream for everything else; DELETE closes both sides.
 */
export class LegacySseBridge extends SessionBridge<LegacyCall> {
  constructor(
    owners: SessionStore,
    clock: Clock,
    logger: Logger,
    private readonly legacyOptions: LegacyBridgeOptions,
  ) {
    super(owners, clock, logger, legacyOptions, {
      ownerQuotaReason: "too many bridged sessions of this user",
      fullRefusal: (max) =>
        `the gateway bridges as many legacy SSE sessions as it may (MCP_LEGACY_SSE_MAX_SESSIONS=${max}); try again later`,
    });
  }

  protected async openSession(
    server: McpServer,
    call: LegacyCall,
    initialize: JsonRpcMessage & { id: JsonRpcId },
  ): Promise<LegacySession | Response> {
    const session = new LegacySession(
      randomToken(24),
      server.id,
      server.name,
      call.owner,
      this.legacyOptions.maxBacklog,
      this.clock.now(),
    );
    try {
      const upstream = await LegacyUpstream.open(
        server.url,
        call.backendHeaders,
        { timeoutMs: server.timeoutMs, maxMessageBytes: this.legacyOptions.maxMessageBytes },
        (m) => session.deliver(m),
        (reason) => this.end(session, reason),
      );
      session.attach(upstream);
    } catch (error) {
      return this.backendFailure(server.name, initialize.id, error);
    }
    return session;
  }

  protected backendHeaders(call: LegacyCall): Record<string, string> {
    return call.backendHeaders;
  }

  protected backendFailure(server: string, id: JsonRpcId | null, error: unknown): Response {
    const kind = error instanceof UpstreamError ? error.kind : "unreachable";
    this.logger.warn(
      { server, transport: "sse", err: error instanceof Error ? error.message : String(error) },
      kind === "timeout" ? "backend timed out" : "backend unreachable",
    );
    return kind === "timeout"
      ? httpError(504, id, "Backend timed out")
      : httpError(502, id, kind === "refused" ? "Backend refused the request" : "Backend unreachable");
  }
}
