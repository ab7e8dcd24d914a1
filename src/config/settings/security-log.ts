import { int } from "./kinds.ts";

/** The stored security log (src/audit/security-events). */
export const securityLogSettings = {
  securityLogQueueMax: int(
    "SECURITY_LOG_QUEUE_MAX",
    10000,
    1,
    10000000,
    "Most security events waiting in memory to be written; when full, new events are dropped, counted and logged as a warning, and a request never waits.",
  ),
  securityLogBatchSize: int(
    "SECURITY_LOG_BATCH_SIZE",
    200,
    1,
    100000,
    "Security events written to the database in one transaction; a full batch is written at once (after the request that filled it), a partial one after SECURITY_LOG_FLUSH_INTERVAL_MS.",
  ),
  securityLogFlushIntervalMs: int(
    "SECURITY_LOG_FLUSH_INTERVAL_MS",
    1000,
    10,
    3600000,
    "Longest time a recorded security event waits in memory before it is written, in ms.",
  ),
  securityLogRepeatSeconds: int(
    "SECURITY_LOG_REPEAT_SECONDS",
    60,
    0,
    86400,
    "Identical events from one IP (same type, severity, user, client and details) within this many seconds of the first are counted, not stored: the first is stored at once, then one summary row with details.repeatsSuppressed when the window ends. Keeps a flood of invalid tokens to two rows per minute. 0 stores every event.",
  ),
};
