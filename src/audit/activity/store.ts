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

/**
 * Up to this many rows in a user's (server's) blocks, their rows are read from those id ranges and
 * sorted; beyond it they are frequent enough that walking the `at` index, newest first, meets
 * them soon. A query-planning threshold (what either plan reads is bounded by the table), not a
 * limit anyone sets.
 */
const BLOCK_SCAN_ROWS = 100_000;

/** The columns of a stored row, named as drizzle names them (`fromRow` takes either). */
const COLUMNS = `a.id AS id, a.at AS at, a.user_id AS userId, a.client_id AS clientId, a.server AS server,
  a.endpoint AS endpoint, a.session_id AS sessionId, a.method AS method, a.target AS target,
  a.outcome AS outcome, a.http_status AS httpStatus, a.rpc_error_code AS rpcErrorCode,
  a.latency_ms AS latencyMs, a.request_bytes AS requestBytes, a.response_bytes AS responseBytes, a.ip AS ip`;

/**
 * The stored MCP activity rows: batch inserts (main-thread writer), filtered pages, retention
 * deletes. A user or server filter reads that key's blocks (`mcp_activity_blocks`, written with
 * each batch) instead of an index on the column (see src/db/schema/activity.ts).
 */
export class ActivityStore {
  private readonly insertBatch: (rows: readonly McpActivity[]) => void;

  constructor(
    private readonly db: Db,
    /** See BLOCK_SCAN_ROWS (tests lower it to compare both plans). */
    private readonly blockScanRows = BLOCK_SCAN_ROWS,
  ) {
    this.insertBatch = activityBatchInserter(db.$client);
  }

  insertAll(rows: readonly McpActivity[]): void {
    this.insertBatch(rows);
  }

  /** Newest first. */
  page(filter: ActivityFilter, limit: number, offset: number): { rows: StoredActivity[]; total: number } {
    const ranges = this.blockRanges(filter);
    if (ranges !== undefined) return this.pageInRanges(ranges, filter, limit, offset);
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

  /** Deletes the rows recorded before `epochMs`, and the blocks left without rows; returns how many rows. */
  deleteBefore(epochMs: number): number {
    const client = this.db.$client;
    return client.transaction(() => {
      const deleted = client.run("DELETE FROM mcp_activity WHERE at < ?", [epochMs]).changes;
      // Every block below the oldest row left (all of them when none is left).
      client.run(
        `DELETE FROM mcp_activity_blocks
          WHERE last_id < coalesce((SELECT min(id) FROM mcp_activity), 9223372036854775807)`,
      );
      return deleted;
    })();
  }

  /**
   * The id ranges holding the rows of the filter's user (else server), merged, when they hold few
   * enough rows to read them all (BLOCK_SCAN_ROWS); undefined: no such filter, or walk the `at`
   * index instead.
   */
  private blockRanges(filter: ActivityFilter): [first: number, last: number][] | undefined {
    const kind = filter.userId !== undefined ? "user" : filter.server !== undefined ? "server" : undefined;
    if (kind === undefined) return undefined;
    const key = (kind === "user" ? filter.userId : filter.server) as string;
    const client = this.db.$client;
    const size = client
      .query<{ rows: number | null }, [string, string]>(
        "SELECT sum(last_id - first_id + 1) AS rows FROM mcp_activity_blocks WHERE kind = ? AND key = ?",
      )
      .get(kind, key);
    if ((size?.rows ?? 0) > this.blockScanRows) return undefined;
    const blocks = client
      .query<{ first: number; last: number }, [string, string]>(
        `SELECT first_id AS first, last_id AS last FROM mcp_activity_blocks
          WHERE kind = ? AND key = ? ORDER BY first_id`,
      )
      .all(kind, key);
    // Blocks of one key overlap only when an id came back after retention deleted the newest
    // rows: merged, no row is read twice.
    const merged: [number, number][] = [];
    for (const { first, last } of blocks) {
      const previous = merged.at(-1);
      if (previous !== undefined && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
      else merged.push([first, last]);
    }
    return merged;
  }

  private pageInRanges(
    ranges: [number, number][],
    filter: ActivityFilter,
    limit: number,
    offset: number,
  ): { rows: StoredActivity[]; total: number } {
    const { conditions, values } = rawConditions(filter);
    // CROSS JOIN: SQLite keeps this order (the ranges outside, each a rowid range of the table);
    // left to itself it would walk the `at` index for the ORDER BY and scan every row.
    const from = `FROM json_each(?) AS r CROSS JOIN mcp_activity AS a
      ON a.id BETWEEN r.value ->> 0 AND r.value ->> 1
      WHERE ${conditions.length > 0 ? conditions.join(" AND ") : "1"}`;
    const json = JSON.stringify(ranges);
    const client = this.db.$client;
    const rows = client
      .query<typeof mcpActivity.$inferSelect, (string | number)[]>(
        `SELECT ${COLUMNS} ${from} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?`,
      )
      .all(json, ...values, limit, offset);
    const total =
      client.query<{ n: number }, (string | number)[]>(`SELECT count(*) AS n ${from}`).get(json, ...values)
        ?.n ?? 0;
    return { rows: rows.map(fromRow), total };
  }
}

/** The filter as SQL conditions on `mcp_activity AS a` with their values (the block path's query). */
function rawConditions(filter: ActivityFilter): { conditions: string[]; values: (string | number)[] } {
  const conditions: string[] = [];
  const values: (string | number)[] = [];
  const add = (condition: string, value: string | number | undefined) => {
    if (value === undefined) return;
    conditions.push(condition);
    values.push(value);
  };
  add("a.user_id = ?", filter.userId);
  add("a.server = ?", filter.server);
  add("a.method = ?", filter.method);
  add("a.outcome = ?", filter.outcome);
  add("a.at >= ?", filter.from);
  add("a.at < ?", filter.to);
  return { conditions, values };
}

/**
 * The filter for the `at` index walk. The user and server filters have no index of their own (a
 * frequent key's rows are met soon walking `at`, newest first); only an outcome other than "ok"
 * has one (partial): the others are written `+column = ?`, which SQLite cannot serve from an index.
 */
function whereOf(filter: ActivityFilter): SQL | undefined {
  const conditions: SQL[] = [];
  let indexed = false;
  const equals = (column: SQLiteColumn, value: string | undefined) => {
    if (value === undefined) return;
    conditions.push(indexed ? sql`+${column} = ${value}` : eq(column, value));
    indexed = true;
  };
  if (filter.userId !== undefined) conditions.push(sql`+${mcpActivity.userId} = ${filter.userId}`);
  if (filter.server !== undefined) conditions.push(sql`+${mcpActivity.server} = ${filter.server}`);
  if (filter.outcome === "ok") {
    // The outcome index holds only the other outcomes: "ok" (most rows) walks the `at` index.
    conditions.push(sql`+${mcpActivity.outcome} = ${filter.outcome}`);
  } else if (filter.outcome !== undefined) {
    // The literal condition of the partial index, repeated so that SQLite may use it.
    conditions.push(sql.raw(`"outcome" <> 'ok'`));
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
