import type { Db } from "../../db/connection.ts";

const HOUR_MS = 3_600_000;

/** One hour of MCP traffic: every request, and how many failed or were refused. */
export interface HourOfActivity {
  /** Epoch ms of the hour's start. */
  start: number;
  requests: number;
  /** Outcome "error": the backend or the gateway failed the request. */
  errors: number;
  /** Outcome "denied" or "rate_limited": the gateway refused it. */
  refused: number;
}

// CAST: a bound JS number may arrive as a REAL, which would make the division fractional.
const BY_HOUR = `SELECT CAST((at - ?1) / ${HOUR_MS} AS INTEGER) AS hour, COUNT(*) AS requests,
  SUM(outcome = 'error') AS errors, SUM(outcome IN ('denied', 'rate_limited')) AS refused
  FROM mcp_activity WHERE at >= ?1 AND at < ?2 GROUP BY hour`;

/**
 * The stored MCP activity of the last `hours` whole clock hours, the current one last (partial),
 * every hour present (zero when quiet). One grouped query over the `at` index: the dashboard
 * reads a day's rows once per view, which SQLite counts without loading them.
 */
export function activityByHour(db: Db, now: number, hours = 24): HourOfActivity[] {
  const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  const start = end - hours * HOUR_MS;
  const result: HourOfActivity[] = Array.from({ length: hours }, (_, i) => ({
    start: start + i * HOUR_MS,
    requests: 0,
    errors: 0,
    refused: 0,
  }));
  const rows = db.$client.query(BY_HOUR).all(start, end) as {
    hour: number;
    requests: number;
    errors: number | null;
    refused: number | null;
  }[];
  for (const row of rows) {
    const slot = result[row.hour];
    if (slot === undefined) continue;
    slot.requests = row.requests;
    slot.errors = row.errors ?? 0;
    slot.refused = row.refused ?? 0;
  }
  return result;
}
