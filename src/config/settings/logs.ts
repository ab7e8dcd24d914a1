import { int, text } from "./kinds.ts";

/** The application log's in-memory ring (the admin's /admin/logs), its daily files and their retention (src/logs). */
export const logSettings = {
  logRingLines: int(
    "LOG_RING_LINES",
    1000,
    1,
    1000000,
    "Most recent application log lines kept in memory for /admin/logs and GET /admin/api/logs (the oldest is dropped first).",
  ),
  logRingLineChars: int(
    "LOG_RING_LINE_CHARS",
    8192,
    256,
    1048576,
    "Longest log line kept in the in-memory ring, in characters; a longer line keeps its time, level and the start of its message and fields, marked truncated (stdout and the log files get it whole).",
  ),
  logStreamBacklog: int(
    "LOG_STREAM_BACKLOG",
    1000,
    1,
    1000000,
    "Most log lines waiting for a slow reader of the live log (GET /admin/api/logs/stream, /admin/logs); beyond it lines are skipped for that reader.",
  ),
  adminLogPageLines: int(
    "ADMIN_LOG_PAGE_LINES",
    200,
    1,
    100000,
    "Most log lines /admin/logs shows (the newest that pass its filters) and keeps in its live list; also the default `limit` of GET /admin/api/logs.",
  ),
  logDir: text(
    "LOG_DIR",
    "",
    "Directory for daily application log files (authmcp-gateway-YYYY-MM-DD.log, UTC date, mode 0600; the directory is created with mode 0700), relative to the working directory; the same JSON lines as stdout. Empty: stdout only.",
  ),
  logRetentionDays: int(
    "LOG_RETENTION_DAYS",
    14,
    1,
    36500,
    "Daily log files in LOG_DIR whose day ended more than this many days ago are deleted by the cleanup job (start, every RETENTION_CLEANUP_INTERVAL_SECONDS, and the cleanup command). Only files named exactly authmcp-gateway-YYYY-MM-DD.log are ever deleted.",
  ),
};
