import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per MCP request (src/audit/activity/types.ts), written in batches by the activity queue.
 * No foreign keys: rows outlive users and servers, and a batch insert must not fail on a deleted
 * one. Indexes: each costs every insert (the gateway's busiest write), so the table has only the
 * `at` index (appended to, about 0.8 µs per row) and the partial outcome index (errors and
 * refusals only: the usual insert costs it nothing). The user and server filters use
 * `mcp_activity_blocks` instead of an index per column, which cost about 2.5 µs per row
 * (bench/README.md). A method filter or outcome "ok" walks the `at` index, newest first. The
 * retention job deletes by `at`.
 */
export const mcpActivity = sqliteTable(
  "mcp_activity",
  {
    // No AUTOINCREMENT: it costs every insert a read and a write of sqlite_sequence (about 1 µs per
    // row, bench/README.md). An id can then come back only after every newer row was deleted, and
    // ids are only shown, never used as a cursor.
    id: integer("id").primaryKey(),
    /** Unix milliseconds when the request arrived. */
    at: integer("at").notNull(),
    userId: text("user_id"),
    clientId: text("client_id"),
    server: text("server").notNull(),
    /** server | aggregate */
    endpoint: text("endpoint").notNull(),
    sessionId: text("session_id"),
    method: text("method").notNull(),
    target: text("target"),
    /** ok | error | denied | rate_limited */
    outcome: text("outcome").notNull(),
    httpStatus: integer("http_status").notNull(),
    rpcErrorCode: integer("rpc_error_code"),
    latencyMs: integer("latency_ms").notNull(),
    requestBytes: integer("request_bytes").notNull(),
    responseBytes: integer("response_bytes"),
    ip: text("ip"),
  },
  (t) => [
    index("mcp_activity_at").on(t.at),
    // Partial: a query uses it only when its WHERE repeats this condition (src/audit/activity/store.ts).
    index("mcp_activity_not_ok_at").on(t.outcome, t.at).where(sql`outcome <> 'ok'`),
  ],
);

/**
 * A block index of `mcp_activity`: for each written batch, one row per user and one per server in
 * it, with the id range of that batch holding their rows. A batch is one transaction of one
 * writer, so its ids are consecutive. Finding a user's rows reads their blocks and scans those id
 * ranges; writing costs one row per user and server per batch instead of an index entry per
 * activity row. Every activity row of a user (server) lies within some block of theirs: the
 * retention job deletes the blocks below the oldest row left.
 */
export const mcpActivityBlocks = sqliteTable(
  "mcp_activity_blocks",
  {
    /** user | server */
    kind: text("kind").notNull(),
    /** The user id or the server name. */
    key: text("key").notNull(),
    firstId: integer("first_id").notNull(),
    lastId: integer("last_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key, t.firstId] })],
);
