import type { Database } from "bun:sqlite";
import type { McpActivity } from "./types.ts";

const INSERT = `INSERT INTO mcp_activity (at, user_id, client_id, server, endpoint, session_id, method,
  target, outcome, http_status, rpc_error_code, latency_ms, request_bytes, response_bytes, ip)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Writes a batch of activity rows in one transaction of one prepared statement (no bound-variable
 * limit). Shared by the main-thread store and the writer thread (src/audit/activity/writer-worker.ts),
 * which has its own connection: this file imports no drizzle, so the worker's bundle stays small.
 */
export function activityBatchInserter(sqlite: Database): (rows: readonly McpActivity[]) => void {
  const insert = sqlite.prepare(INSERT);
  const batch = sqlite.transaction((rows: readonly McpActivity[]) => {
    for (const r of rows) {
      insert.run(
        r.at,
        r.userId,
        r.clientId,
        r.server,
        r.endpoint,
        r.sessionId,
        r.method,
        r.target,
        r.outcome,
        r.httpStatus,
        r.rpcErrorCode,
        Math.round(r.latencyMs),
        r.requestBytes,
        r.responseBytes,
        r.ip,
      );
    }
  });
  return (rows) => {
    if (rows.length > 0) batch(rows);
  };
}
