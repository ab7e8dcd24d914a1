import { int } from "./kinds.ts";

/** Settings of the MCP gateway (src/gateway). */
export const gatewaySettings = {
  upstreamTimeoutMs: int(
    "MCP_UPSTREAM_TIMEOUT_MS",
    30000,
    100,
    600000,
    "Default time to the first byte of a backend's answer, in ms (a server's own timeout wins).",
  ),
  tokenCacheMax: int(
    "MCP_TOKEN_CACHE_MAX",
    10000,
    0,
    1000000,
    "Access tokens whose signature the proxy remembers as verified (expiry, revocation and the user are re-checked on every request).",
  ),
  sseKeepAliveMs: int(
    "MCP_SSE_KEEPALIVE_MS",
    15000,
    10,
    600000,
    "Interval of `: keep-alive` comments sent on an idle SSE stream from a backend, in ms (below the server idle timeout).",
  ),
  mcpSessionTtlMs: int(
    "MCP_SESSION_TTL_MS",
    86400000,
    1000,
    2592000000,
    "How long the gateway remembers which user opened an Mcp-Session-Id after its last use, in ms.",
  ),
  mcpSessionMax: int(
    "MCP_SESSION_MAX",
    100000,
    10,
    10000000,
    "Most Mcp-Session-Id owners remembered at once; the oldest are forgotten first.",
  ),
  healthCheckIntervalMs: int(
    "MCP_HEALTH_CHECK_INTERVAL_MS",
    60000,
    1000,
    86400000,
    "Interval of the health check (initialize + ping) of each backend server, in ms.",
  ),
  healthDegradedMs: int(
    "MCP_HEALTH_DEGRADED_MS",
    2000,
    10,
    600000,
    "A backend answering its health check slower than this (ms) is reported degraded.",
  ),
  userAssertionSeconds: int(
    "MCP_USER_ASSERTION_SECONDS",
    60,
    5,
    3600,
    "Lifetime of the signed user-context assertion sent to backends, in seconds.",
  ),
  backendTokenRefreshMarginSeconds: int(
    "MCP_BACKEND_TOKEN_REFRESH_MARGIN_SECONDS",
    60,
    0,
    3600,
    "A backend client-credentials token is refreshed this many seconds before it expires.",
  ),
  backendTokenRetries: int(
    "MCP_BACKEND_TOKEN_RETRIES",
    3,
    1,
    10,
    "Attempts to fetch a backend client-credentials token (exponential backoff between them).",
  ),
  backendTokenBackoffMs: int(
    "MCP_BACKEND_TOKEN_BACKOFF_MS",
    200,
    1,
    60000,
    "First backoff between backend token fetch attempts, in ms (doubled each attempt).",
  ),
};
