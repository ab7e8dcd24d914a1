import type { Changes, Database, Statement } from "bun:sqlite";
import type { McpActivity } from "./types.ts";

/** The insert of one activity row; `runInsert` binds a row to it. */
export const INSERT_ACTIVITY = `INSERT INTO mcp_activity (at, user_id, client_id, server, endpoint, session_id, method,
  target, outcome, http_status, rpc_error_code, latency_ms, request_bytes, response_bytes, ip)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// A block starting where one of the same key started already: an id came back after retention
// deleted the newest rows (see ActivityStore.deleteBefore). The wider range covers both.
const INSERT_BLOCK = `INSERT INTO mcp_activity_blocks (kind, key, first_id, last_id) VALUES (?, ?, ?, ?)
  ON CONFLICT (kind, key, first_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`;

/**
 * Writes a batch of activity rows in one transaction of one prepared statement (no bound-variable
 * limit), with the batch's blocks (src/db/schema/activity.ts): for each user and each server in
 * it, the range of ids holding their rows. Shared by the main-thread store and the writer thread
 * (src/audit/activity/writer-worker.ts), which has its own connection: this file imports no
 * drizzle, so the worker's bundle stays small.
 */
export function activityBatchInserter(sqlite: Database): (rows: readonly McpActivity[]) => void {
  const insert = sqlite.prepare(INSERT_ACTIVITY);
  const insertBlock = sqlite.prepare(INSERT_BLOCK);
  const batch = sqlite.transaction((rows: readonly McpActivity[]) => {
    const users = new Map<string, [first: number, last: number]>();
    const servers = new Map<string, [first: number, last: number]>();
    for (const r of rows) {
      const id = Number(runInsert(insert, r).lastInsertRowid);
      if (r.userId !== null) widen(users, r.userId, id);
      widen(servers, r.server, id);
    }
    for (const [key, [first, last]] of users) insertBlock.run("user", key, first, last);
    for (const [key, [first, last]] of servers) insertBlock.run("server", key, first, last);
  });
  return (rows) => {
    if (rows.length > 0) batch(rows);
  };
}

/** Runs `INSERT_ACTIVITY` prepared as `insert` for one row. */
export function runInsert(insert: Statement, r: McpActivity): Changes {
  return insert.run(
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

function widen(blocks: Map<string, [number, number]>, key: string, id: number): void {
  const block = blocks.get(key);
  if (block === undefined) blocks.set(key, [id, id]);
  else block[1] = id;
}
