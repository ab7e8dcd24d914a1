import { bool, int, optionalText } from "./kinds.ts";

/** MCP activity recording, retention of audit rows and the Prometheus endpoint (src/audit). */
export const activitySettings = {
  mcpLogDbEnabled: bool(
    "MCP_LOG_DB_ENABLED",
    true,
    "Store every MCP request's activity row in the database (GET /admin/api/mcp-activity); false keeps only the live feed (GET /admin/api/mcp-activity/stream) and the metrics.",
  ),
  activityQueueMax: int(
    "ACTIVITY_QUEUE_MAX",
    10000,
    1,
    10000000,
    "Most MCP activity rows waiting in memory to be written; when full, new rows are dropped and counted (authmcp_activity_dropped_rows_total) and a request never waits.",
  ),
  activityBatchSize: int(
    "ACTIVITY_BATCH_SIZE",
    2000,
    1,
    100000,
    "MCP activity rows stored together as one segment (one insert); a full batch is written at once, a partial one every ACTIVITY_FLUSH_INTERVAL_MS and merged into the newest segment while together they fit in a batch.",
  ),
  activityFlushIntervalMs: int(
    "ACTIVITY_FLUSH_INTERVAL_MS",
    1000,
    10,
    3600000,
    "How often waiting MCP activity rows are written, in ms (also the shortest time between two 'activity rows dropped' warnings).",
  ),
  activityScanChars: int(
    "ACTIVITY_SCAN_CHARS",
    4096,
    64,
    1048576,
    "On /mcp/{server}, how many leading characters of a request body are scanned for the JSON-RPC method and the tool name or resource URI of its activity row (the body is not parsed).",
  ),
  activityStreamBacklog: int(
    "ACTIVITY_STREAM_BACKLOG",
    1000,
    1,
    1000000,
    "Most activity events waiting for a slow reader of GET /admin/api/mcp-activity/stream; beyond it events are skipped for that reader.",
  ),
  activityRetentionDays: int(
    "ACTIVITY_RETENTION_DAYS",
    30,
    1,
    36500,
    "Stored MCP activity rows older than this many days are deleted by the cleanup job (run by start every RETENTION_CLEANUP_INTERVAL_SECONDS and by the cleanup command).",
  ),
  securityEventRetentionDays: int(
    "SECURITY_EVENT_RETENTION_DAYS",
    90,
    1,
    36500,
    "Stored security events older than this many days are deleted by the cleanup job.",
  ),
  retentionCleanupIntervalSeconds: int(
    "RETENTION_CLEANUP_INTERVAL_SECONDS",
    3600,
    1,
    604800,
    "How often start runs the cleanup job (activity, security events and log files past their retention), in seconds; it also runs once at start.",
  ),
  metricsToken: optionalText(
    "METRICS_TOKEN",
    "When set, GET /metrics requires `Authorization: Bearer <this token>` (at least 16 characters); unset, /metrics is open (keep it off the public network).",
    { secret: true, refine: (s) => s.min(16, { error: "expected at least 16 characters" }) },
  ),
};
