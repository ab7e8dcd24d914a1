import type { ActivityOutcome, ActivitySink, McpActivity } from "../../audit/activity/types.ts";
import type { SecurityEventInput, SecurityEventSink } from "../../audit/security-events/types.ts";
import type { Clock } from "../../clock.ts";
import type { Caller } from "../user-context.ts";

/** What one HTTP request to `/mcp` contributes to each of its activity rows. */
export interface RequestFacts {
  /** Epoch ms (the clock's) when it arrived. */
  at: number;
  /** `performance.now()` when it arrived, for the latency. */
  started: number;
  caller: Caller | undefined;
  sessionId: string | null;
  ip: string | null;
  requestBytes: number;
  userAgent: string | null;
}

/** One row's own fields. */
export interface RowFacts {
  server: string;
  method: string;
  target: string | null;
  httpStatus: number;
  rpcErrorCode: number | null;
  /** Null when the answer streamed (SSE). */
  responseBytes: number | null;
  /** Refused before reaching a backend: the grant's tool rules, or the rate limit. */
  refused?: "denied" | "rate_limited";
}

/** Characters of a session id a security event may carry (enough to tell sessions apart). */
const SESSION_PREFIX = 8;

/**
 * The aggregated endpoint's records: one activity row per MCP request (src/audit/activity) and the
 * security events it produces (src/audit/security-events). Both sinks are synchronous and never
 * throw, so recording costs the request a function call and an object; nothing is awaited.
 */
export class AggregateAudit {
  constructor(
    private readonly clock: Clock,
    private readonly activity?: ActivitySink,
    private readonly events?: SecurityEventSink,
  ) {}

  /** The facts of a request arriving now. */
  arrived(request: Request, ip: string | null): RequestFacts {
    return {
      at: this.clock.now(),
      started: performance.now(),
      caller: undefined,
      sessionId: request.headers.get("mcp-session-id"),
      ip,
      requestBytes: Number(request.headers.get("content-length") ?? 0) || 0,
      userAgent: request.headers.get("user-agent"),
    };
  }

  row(request: RequestFacts, row: RowFacts): void {
    if (!this.activity) return;
    const activity: McpActivity = {
      at: request.at,
      userId: request.caller?.principal.id ?? null,
      clientId: request.caller?.clientId ?? null,
      server: row.server,
      endpoint: "aggregate",
      sessionId: request.sessionId,
      method: row.method,
      target: row.target,
      outcome: outcomeOf(row),
      httpStatus: row.httpStatus,
      rpcErrorCode: row.rpcErrorCode,
      latencyMs: Math.max(0, performance.now() - request.started),
      requestBytes: request.requestBytes,
      responseBytes: row.responseBytes,
      ip: request.ip,
    };
    this.activity.record(activity);
  }

  /** A session id presented by a user other than its owner. */
  sessionHijack(request: RequestFacts, userId: string, ownerId: string): void {
    this.event(request, {
      type: "session_hijack",
      userId,
      details: { endpoint: "/mcp", sessionIdPrefix: request.sessionId?.slice(0, SESSION_PREFIX), ownerId },
    });
  }

  /** A tool (or prompt) the caller's grant denies was asked for. */
  permissionDenied(request: RequestFacts | undefined, caller: Caller, server: string, name: string): void {
    this.event(request, {
      type: "permission_denied",
      userId: caller.principal.id,
      clientId: caller.clientId,
      ip: caller.ip ?? request?.ip ?? null,
      details: { endpoint: "/mcp", server, tool: name },
    });
  }

  rateLimited(request: RequestFacts, server: string, method: string): void {
    this.event(request, {
      type: "rate_limited",
      details: { endpoint: "/mcp", server, method, limit: "mcp" },
    });
  }

  private event(request: RequestFacts | undefined, event: SecurityEventInput): void {
    this.events?.record({
      userId: request?.caller?.principal.id ?? null,
      clientId: request?.caller?.clientId ?? null,
      ip: request?.ip ?? null,
      userAgent: request?.userAgent ?? null,
      ...event,
    });
  }
}

function outcomeOf(row: RowFacts): ActivityOutcome {
  if (row.refused) return row.refused;
  return row.httpStatus >= 400 || row.rpcErrorCode !== null ? "error" : "ok";
}
