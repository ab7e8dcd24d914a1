import type { ActivityStore } from "../../audit/activity/store.ts";

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

/**
 * The stored MCP activity of the last `hours` whole clock hours, the current one last (partial),
 * every hour present (zero when quiet). Counted from the segments' summaries where a segment lies
 * within one hour, from its rows otherwise (src/audit/activity/store.ts).
 */
export function activityByHour(store: ActivityStore, now: number, hours = 24): HourOfActivity[] {
  const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  const start = end - hours * HOUR_MS;
  return store
    .countByHour(start, hours, HOUR_MS)
    .map((counts, i) => ({ start: start + i * HOUR_MS, ...counts }));
}
