import type { Clock } from "../../clock.ts";
import { randomToken } from "../../crypto/random.ts";
import type { Logger } from "../../logger.ts";
import type { JsonRpcId, JsonRpcMessage } from "../legacy-sse/messages.ts";
import type { LegacySession } from "../legacy-sse/session.ts";
import {
  type BridgedCall,
  httpError,
  SessionBridge,
  type SessionBridgeOptions,
} from "../legacy-sse/session-bridge.ts";
import { rpcError } from "../rpc-error.ts";
import type { SessionStore } from "../sessions.ts";
import type { McpServer } from "../types.ts";
import { StdioUnavailable } from "./channel.ts";
import type { StdioProcessPool } from "./pool.ts";
import { openStdioSession } from "./session.ts";

export type StdioBridgeOptions = SessionBridgeOptions;

/** What the proxy hands over once the caller is authenticated, authorised and owns the session. */
export type StdioCall = BridgedCall;

/**
 * Streamable HTTP for stdio servers on `/mcp/{server}`: `initialize` opens a gateway session
 * (`Mcp-Session-Id`, bound to its user) on the server's process; each request goes to the process
 * and its answer, with the progress and messages that belong to it, comes back as SSE (or JSON
 * when the client accepts only JSON); GET opens the stream for everything else; DELETE ends the
 * session. The same session routing as the legacy SSE bridge (SessionBridge).
 */
export class StdioBridge extends SessionBridge<StdioCall> {
  constructor(
    private readonly pool: StdioProcessPool,
    owners: SessionStore,
    clock: Clock,
    logger: Logger,
    options: StdioBridgeOptions,
  ) {
    super(owners, clock, logger, options, {
      ownerQuotaReason: "too many stdio sessions of this user",
      fullRefusal: (max) =>
        `the gateway serves as many stdio sessions as it may (MCP_STDIO_MAX_SESSIONS=${max}); try again later`,
    });
  }

  protected async openSession(
    server: McpServer,
    call: StdioCall,
    _initialize: JsonRpcMessage & { id: JsonRpcId },
  ): Promise<LegacySession> {
    return openStdioSession(
      this.pool,
      server,
      { id: randomToken(24), owner: call.owner, maxBacklog: this.options.maxBacklog, now: this.clock.now() },
      (closed, reason) => this.end(closed, reason),
    );
  }

  protected backendHeaders(_call: StdioCall): Record<string, string> {
    return {};
  }

  /** 503 with Retry-After while a crashed process waits out its backoff; 502 otherwise. */
  protected backendFailure(server: string, id: JsonRpcId | null, error: unknown): Response {
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn({ server, transport: "stdio", err: reason }, "stdio server unavailable");
    if (error instanceof StdioUnavailable && error.retryAfterMs !== undefined) {
      return rpcError(503, id, -32000, "Backend restarting", {
        "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))),
      });
    }
    return httpError(502, id, "Backend unavailable");
  }
}
