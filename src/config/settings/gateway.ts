import type { z } from "zod";
import { parseNetwork } from "../../gateway/ip-networks.ts";
import { int, list, type SettingSpec } from "./kinds.ts";

/** Settings of the MCP gateway (src/gateway). */
export const gatewaySettings = {
  upstreamTimeoutMs: int(
    "MCP_UPSTREAM_TIMEOUT_MS",
    30000,
    100,
    600000,
    "Default time to the first byte of a backend's answer, in ms (a server's own timeout wins).",
  ),
  upstreamWatchIntervalMs: int(
    "MCP_UPSTREAM_WATCH_INTERVAL_MS",
    100,
    10,
    1000,
    "How often the proxy checks the backend requests it waits on for a late first byte or a client that went away, in ms: the precision of both.",
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
    "Most MCP sessions remembered at once, all users together; beyond it a new session is refused (503) until sessions expire or are deleted. Other users' sessions are never evicted.",
  ),
  mcpSessionMaxPerUser: int(
    "MCP_SESSION_MAX_PER_USER",
    100,
    1,
    10000000,
    "Most MCP sessions one user holds at once (servers without auth count as one user); a new one beyond it replaces that user's own least recently used session.",
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
  backendTokenTimeoutMs: int(
    "MCP_BACKEND_TOKEN_TIMEOUT_MS",
    10000,
    100,
    120000,
    "Time allowed for one request to a backend's OAuth token endpoint, in ms.",
  ),
  legacySseMaxSessions: int(
    "MCP_LEGACY_SSE_MAX_SESSIONS",
    1000,
    1,
    100000,
    "Most client sessions bridged onto legacy HTTP+SSE backends at once, all users together (each holds one backend connection); beyond it a new one is refused (503) until sessions end or go idle.",
  ),
  legacySseMaxSessionsPerUser: int(
    "MCP_LEGACY_SSE_MAX_SESSIONS_PER_USER",
    10,
    1,
    100000,
    "Most sessions bridged onto legacy HTTP+SSE backends that one user holds at once (servers without auth count as one user); a new one beyond it closes that user's own least recently used session.",
  ),
  legacySseBacklog: int(
    "MCP_LEGACY_SSE_BACKLOG",
    100,
    0,
    10000,
    "Messages from a legacy SSE backend kept for a client that has no stream open to receive them (oldest dropped first).",
  ),
  backendAllowedNetworks: networkList(
    "MCP_BACKEND_ALLOWED_NETWORKS",
    "Networks (CIDR, comma-separated, e.g. `169.254.169.254/32,fd00:ec2::/32`) that backend and backend token URLs may reach although they are link-local or cloud metadata addresses, refused by default. Loopback and private ranges are always allowed.",
  ),
  backendDnsCacheMs: int(
    "MCP_BACKEND_DNS_CACHE_MS",
    30000,
    0,
    3600000,
    "How long the address check of a backend host name is reused before it is resolved and checked again, in ms (0: before every request).",
  ),
  legacySseMaxMessageBytes: int(
    "MCP_LEGACY_SSE_MAX_MESSAGE_BYTES",
    8388608,
    1024,
    268435456,
    "Largest single message accepted from a legacy SSE backend, in bytes; a larger one closes that backend connection.",
  ),
};

/** A list of networks in CIDR form; an entry that is not one is refused at start, not ignored. */
function networkList(env: string, doc: string): SettingSpec<z.ZodType<string[]>> {
  const base = list(env, doc);
  const schema = base.schema.superRefine((entries, ctx) => {
    for (const entry of entries) {
      if (!parseNetwork(entry)) {
        ctx.addIssue({
          code: "custom",
          message: `expected networks like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(entry)}`,
        });
      }
    }
  });
  return { ...base, schema: schema as unknown as z.ZodType<string[]> };
}
