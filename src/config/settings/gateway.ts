import type { z } from "zod";
import { parseNetwork } from "../../gateway/ip-networks.ts";
import { int, list, oneOf, type SettingSpec, text } from "./kinds.ts";

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
  stdioProcessMode: oneOf(
    "MCP_STDIO_PROCESS_MODE",
    ["shared", "session"],
    "shared",
    "`shared`: one process per stdio server, every client session multiplexed on it (the gateway initializes it once; the server cannot send sampling, elicitation or roots requests). `session`: one process per client session, initialized with that client's own `initialize` (server requests reach the client).",
  ),
  stdioMaxLineBytes: int(
    "MCP_STDIO_MAX_LINE_BYTES",
    8388608,
    1024,
    268435456,
    "Largest JSON-RPC message (one stdout line) accepted from a stdio server, in bytes; a longer line stops that process (its calls fail, the next call restarts it).",
  ),
  stdioStderrLineChars: int(
    "MCP_STDIO_STDERR_LINE_CHARS",
    2000,
    80,
    1000000,
    "Longest stderr line of a stdio server written to the gateway log (with the server's name), in characters; the rest of the line is cut.",
  ),
  stdioRestartBackoffMs: int(
    "MCP_STDIO_RESTART_BACKOFF_MS",
    1000,
    0,
    600000,
    "After a stdio server's process exits unexpectedly, calls are refused (503 with Retry-After) for this long before the next call starts it again, in ms; doubled after each further exit before a successful initialize.",
  ),
  stdioRestartBackoffMaxMs: int(
    "MCP_STDIO_RESTART_BACKOFF_MAX_MS",
    60000,
    0,
    3600000,
    "Longest wait between restarts of a stdio server that keeps exiting, in ms.",
  ),
  stdioStopGraceMs: int(
    "MCP_STDIO_STOP_GRACE_MS",
    2000,
    0,
    60000,
    "Time a stdio server's process has to exit after its stdin is closed and it is sent SIGTERM, before it (and its process group) gets SIGKILL, in ms.",
  ),
  stdioBacklog: int(
    "MCP_STDIO_BACKLOG",
    100,
    0,
    10000,
    "Messages from a stdio server kept for a client session that has no stream open to receive them (oldest dropped first).",
  ),
  stdioMaxSessions: int(
    "MCP_STDIO_MAX_SESSIONS",
    1000,
    1,
    100000,
    "Most client sessions on `/mcp/{server}` of stdio servers at once, all users together (in session mode each holds a process); beyond it a new one is refused (503) until sessions end or go idle.",
  ),
  stdioMaxSessionsPerUser: int(
    "MCP_STDIO_MAX_SESSIONS_PER_USER",
    10,
    1,
    100000,
    "Most client sessions on `/mcp/{server}` of stdio servers that one user holds at once; a new one beyond it closes that user's own least recently used session.",
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
  aggregateSessionIdleMs: int(
    "MCP_AGGREGATE_SESSION_IDLE_MS",
    3600000,
    1000,
    2592000000,
    "A session of the aggregated endpoint `/mcp` unused this long (ms) is closed with its backend sessions; the client then gets 404 and opens a new one.",
  ),
  aggregateSessionMax: int(
    "MCP_AGGREGATE_SESSION_MAX",
    1000,
    1,
    1000000,
    "Most sessions of the aggregated endpoint `/mcp` at once, all users together (each holds up to one backend session per server); beyond it a new one is refused (503).",
  ),
  aggregateSessionMaxPerUser: int(
    "MCP_AGGREGATE_SESSION_MAX_PER_USER",
    20,
    1,
    100000,
    "Most sessions of the aggregated endpoint `/mcp` one user holds at once; beyond it a new one is refused (429) until one is deleted or idles out.",
  ),
  aggregateEventBuffer: int(
    "MCP_AGGREGATE_EVENT_BUFFER",
    100,
    0,
    100000,
    "SSE events of the aggregated endpoint `/mcp` kept per session so that a client resuming a stream with `Last-Event-ID` gets what it missed (oldest dropped first; 0: streams are not resumable).",
  ),
  aggregatePageSize: int(
    "MCP_AGGREGATE_PAGE_SIZE",
    1000,
    1,
    100000,
    "Most tools, prompts, resources or templates in one page of a list on the aggregated endpoint `/mcp` (servers merged in name order; the rest follows with the `nextCursor` given).",
  ),
  aggregateListGzipMinBytes: int(
    "MCP_AGGREGATE_LIST_GZIP_MIN_BYTES",
    8192,
    0,
    1_000_000_000,
    "A `tools/list` answer of `/mcp` at least this large (bytes of JSON) is sent gzip-encoded to a client that accepts it (`Accept-Encoding: gzip`); each cached page is compressed once, not per request. 0 never compresses.",
  ),
  aggregateToolSeparator: text(
    "MCP_AGGREGATE_TOOL_SEPARATOR",
    "__",
    "What joins a server's name and a tool's (or prompt's) name on the aggregated endpoint `/mcp`: `{server}{separator}{tool}`. Letters, digits, `_`, `.`, `-` only.",
    (s) => s.regex(/^[A-Za-z0-9_.-]{1,8}$/, "expected 1 to 8 characters among A-Z a-z 0-9 _ . -"),
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
export function networkList(env: string, doc: string): SettingSpec<z.ZodType<string[]>> {
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
