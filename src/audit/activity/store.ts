import { and, count, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/connection.ts";
import { mcpActivity } from "../../db/schema/activity.ts";
import { activityBatchInserter } from "./insert.ts";
import type { ActivityOutcome, McpActivity } from "./types.ts";

/** What `GET /admin/api/mcp-activity` and its stream filter by (all optional; time as Unix ms). */
export interface ActivityFilter {
  userId?: string;
  server?: string;
  method?: string;
  outcome?: ActivityOutcome;
  /** Inclusive. */
  from?: number;
  /** Exclusive. */
  to?: number;
}

export type StoredActivity = McpActivity & { id: number };

/** The stored MCP activity rows: batch inserts (main-thread writer), filtered pages, retention deletes. */
export class ActivityStore {
  private readonly insertBatch: (rows: readonly McpActivity[]) => void;

  constructor(private readonly db: Db) {
    this.insertBatch = activityBatchInserter(db.$client);
  }

  insertAll(rows: readonly McpActivity[]): void {
    this.insertBatch(rows);
  }

  /** Newest first. */
  page(filter: ActivityFilter, limit: number, offset: number): { rows: StoredActivity[]; total: number } {
    const where = whereOf(filter);
    const rows = this.db
      .select()
      .from(mcpActivity)
      .where(where)
      .orderBy(desc(mcpActivity.at), desc(mcpActivity.id))
      .limit(limit)
      .offset(offset)
      .all();
    const total = this.db.select({ n: count() }).from(mcpActivity).where(where).get()?.n ?? 0;
    return { rows: rows.map(fromRow), total };
  }

  /** Deletes the rows recorded before `epochMs`; returns how many. */
  deleteBefore(epochMs: number): number {
    return this.db.$client.run("DELETE FROM mcp_activity WHERE at < ?", [epochMs]).changes;
  }
}

/**
 * Only the most selective filter present may use its index (user, then server, then an outcome
 * other than "ok"): the others are written `+column = ?`, which SQLite cannot serve from an index. Without statistics
 * its planner otherwise may walk a large index (all of one server's rows) to find one user's few.
 */
function whereOf(filter: ActivityFilter): SQL | undefined {
  const conditions: SQL[] = [];
  let indexed = false;
  const equals = (column: SQLiteColumn, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(indexed ? sql`+${column} = ${value}` : eq(column, value));
    indexed = true;
  };
  equals(mcpActivity.userId, filter.userId);
  equals(mcpActivity.server, filter.server);
  if (filter.outcome === "ok") {
    // The outcome index holds only the other outcomes: "ok" (most rows) walks the `at` index.
    conditions.push(sql`+${mcpActivity.outcome} = ${filter.outcome}`);
  } else if (filter.outcome !== undefined) {
    // The literal condition of the partial index, repeated so that SQLite may use it.
    if (!indexed) conditions.push(sql.raw(`"outcome" <> 'ok'`));
    equals(mcpActivity.outcome, filter.outcome);
  }
  if (filter.method !== undefined) conditions.push(sql`+${mcpActivity.method} = ${filter.method}`);
  if (filter.from !== undefined) conditions.push(gte(mcpActivity.at, filter.from));
  if (filter.to !== undefined) conditions.push(lt(mcpActivity.at, filter.to));
  return conditions.length > 0 ? and(...conditions) : undefined;
}

function fromRow(row: typeof mcpActivity.$inferSelect): StoredActivity {
  return {
    ...row,
    endpoint: row.endpoint === "aggregate" ? "aggregate" : "server",
    outcome: row.outcome as ActivityOutcome,
  };
}

/** Whether a row (stored or live) passes a filter: the stream applies the list's filters with it. */
export function matchesFilter(activity: McpActivity, filter: ActivityFilter): boolean {
  return (
    (filter.userId === undefined || activity.userId === filter.userId) &&
    (filter.server === undefined || activity.server === filter.server) &&
    (filter.method === undefined || activity.method === filter.method) &&
    (filter.outcome === undefined || activity.outcome === filter.outcome) &&
    (filter.from === undefined || activity.at >= filter.from) &&
    (filter.to === undefined || activity.at < filter.to)
  );
}
