import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per MCP request (src/audit/activity/types.ts), written in batches by the activity queue.
 * No foreign keys: rows outlive users and servers, and a batch insert must not fail on a deleted
 * one. Indexes: each costs every insert (the gateway's busiest write), so only the selective
 * filters have one, led by the column and ending in `at` (user, server, and outcome for the rows
 * that are not "ok" only: errors and refusals are rare, so that partial index costs the usual
 * insert nothing); a method filter (few values, mostly tools/call) or outcome "ok" walks the `at`
 * index, newest first. The retention job deletes by `at`.
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
    index("mcp_activity_user_at").on(t.userId, t.at),
    index("mcp_activity_server_at").on(t.server, t.at),
    // Partial: a query uses it only when its WHERE repeats this condition (src/audit/activity/store.ts).
    index("mcp_activity_not_ok_at").on(t.outcome, t.at).where(sql`outcome <> 'ok'`),
  ],
);
