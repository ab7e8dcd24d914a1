import type { ActivityListener } from "../activity/dispatcher.ts";
import type { McpActivity } from "../activity/types.ts";
import type { SecurityEvent, SecurityEventListener } from "../security-events/types.ts";
import { Counter, Gauge, Histogram, MetricsRegistry } from "./exposition.ts";

/**
 * Methods that get a label of their own; any other text a client sends counts as "other", so a
 * client cannot create series (the scrape stays bounded whatever the traffic).
 */
const METHOD_LABELS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "GET",
  "POST",
  "DELETE",
]);

const GRANT_LABELS = new Set([
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "password",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
]);

/** Seconds; MCP calls range from a cached ping to a long tool run. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricsSources {
  subscribeActivity(listener: ActivityListener): () => void;
  subscribeSecurityEvents(listener: SecurityEventListener): () => void;
  /** Rows waiting in the activity queue and rows dropped since start (zero when the database log is off). */
  activityQueue(): { depth: number; dropped: number };
  /** Sessions of /mcp/{server} the gateway knows (Streamable HTTP, legacy SSE and stdio bridges). */
  serverSessions(): number;
  /** Open client sessions of /mcp; absent: the series is left out. */
  aggregateSessions?: () => number;
  /** SSE answers open to clients on /mcp/{server} and /mcp; absent: the family is left out. */
  sseStreams?: () => number;
  /** Open GET /admin/api/mcp-activity/stream connections. */
  activityStreams(): number;
}

/** The gateway's Prometheus families, fed by the activity and security-event dispatchers. */
export class GatewayMetrics {
  readonly registry = new MetricsRegistry();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly upstreamErrors: Counter;
  private readonly rateLimited: Counter;
  private readonly securityEvents: Counter;
  private readonly tokensIssued: Counter;
  private readonly loginFailures: Counter;

  constructor(sources: MetricsSources) {
    const r = this.registry;
    this.requests = r.add(
      new Counter(
        "authmcp_mcp_requests_total",
        "MCP requests by endpoint, server, JSON-RPC method and outcome.",
        ["endpoint", "server", "method", "outcome"],
      ),
    );
    this.latency = r.add(
      new Histogram(
        "authmcp_mcp_request_duration_seconds",
        "Time from an MCP request's arrival to its answer's headers (a streamed answer's body is not waited for).",
        ["endpoint", "server"],
        LATENCY_BUCKETS,
      ),
    );
    this.upstreamErrors = r.add(
      new Counter(
        "authmcp_upstream_errors_total",
        "MCP requests the backend failed: kind timeout (gateway gave up waiting), failed (unreachable, refused address, credential unavailable, unusable answer) or status_5xx (backend answered 5xx).",
        ["endpoint", "server", "kind"],
      ),
    );
    this.rateLimited = r.add(
      new Counter(
        "authmcp_rate_limit_rejections_total",
        'MCP requests refused by the per-user MCP rate limit (429). The per-IP limits of the sign-in and OAuth endpoints count in authmcp_security_events_total{type="rate_limited"}, with the MCP ones.',
        ["endpoint", "server"],
      ),
    );
    this.securityEvents = r.add(
      new Counter("authmcp_security_events_total", "Security events recorded, by type.", ["type"]),
    );
    this.tokensIssued = r.add(
      new Counter(
        "authmcp_tokens_issued_total",
        "Access tokens issued, by OAuth grant type (refresh_token for a refresh).",
        ["grant_type"],
      ),
    );
    this.loginFailures = r.add(new Counter("authmcp_login_failures_total", "Failed sign-ins."));
    r.add(
      new Gauge(
        "authmcp_mcp_sessions_active",
        "MCP sessions the gateway knows, by endpoint.",
        ["endpoint"],
        () => {
          const samples: [string[], number][] = [[["server"], sources.serverSessions()]];
          if (sources.aggregateSessions) samples.push([["aggregate"], sources.aggregateSessions()]);
          return samples;
        },
      ),
    );
    const sseStreams = sources.sseStreams;
    if (sseStreams) {
      r.add(
        new Gauge(
          "authmcp_sse_streams_open",
          "Server-sent event answers open to MCP clients on /mcp/{server} (a backend's stream passed on, the legacy SSE and stdio bridges) and /mcp.",
          [],
          () => [[[], sseStreams()]],
        ),
      );
    }
    r.add(
      new Gauge(
        "authmcp_activity_streams_open",
        "Open GET /admin/api/mcp-activity/stream connections.",
        [],
        () => [[[], sources.activityStreams()]],
      ),
    );
    r.add(
      new Gauge("authmcp_activity_queue_depth", "MCP activity rows waiting to be written.", [], () => [
        [[], sources.activityQueue().depth],
      ]),
    );
    r.add(
      new Gauge(
        "authmcp_activity_dropped_rows_total",
        "MCP activity rows dropped since start because the queue was full (or a batch failed).",
        [],
        () => [[[], sources.activityQueue().dropped]],
        "counter",
      ),
    );
    this.unsubscribe.push(
      sources.subscribeActivity((row) => this.onActivity(row)),
      sources.subscribeSecurityEvents((event) => this.onSecurityEvent(event)),
    );
  }

  render(): string {
    return this.registry.render();
  }

  close(): void {
    for (const stop of this.unsubscribe) stop();
  }

  private onActivity(row: McpActivity): void {
    const method = METHOD_LABELS.has(row.method) ? row.method : "other";
    this.requests.inc([row.endpoint, row.server, method, row.outcome]);
    this.latency.observe([row.endpoint, row.server], row.latencyMs / 1000);
    if (row.upstreamError !== undefined)
      this.upstreamErrors.inc([row.endpoint, row.server, row.upstreamError]);
    if (row.outcome === "rate_limited") this.rateLimited.inc([row.endpoint, row.server]);
  }

  private onSecurityEvent(event: SecurityEvent): void {
    this.securityEvents.inc([event.type]);
    if (event.type === "login_failure") this.loginFailures.inc();
    // A refresh is recorded as token_refreshed (not token_issued): counted once, as refresh_token.
    if (event.type === "token_refreshed") this.tokensIssued.inc(["refresh_token"]);
    else if (event.type === "token_issued") {
      const grant = event.details.grantType;
      if (grant === "refresh_token") return;
      this.tokensIssued.inc([typeof grant === "string" && GRANT_LABELS.has(grant) ? grant : "other"]);
    }
  }
}
