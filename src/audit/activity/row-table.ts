import type { Database } from "bun:sqlite";
import { segmentInserter } from "./insert.ts";
import { encodeSegment } from "./segment.ts";
import type { ActivityOutcome, McpActivity } from "./types.ts";

/** Rows per segment when converting: the default batch of the writer. */
const ROWS_PER_SEGMENT = 500;

interface RowTableRow extends Omit<McpActivity, "endpoint" | "outcome"> {
  id: number;
  endpoint: string;
  outcome: string;
}

/** The old table's columns but `id`, in the order of rowTableValues (benches and tests write old rows). */
export const ROW_TABLE_COLUMNS = `at, user_id, client_id, server, endpoint, session_id, method, target, outcome,
  http_status, rpc_error_code, latency_ms, request_bytes, response_bytes, ip`;

/** A row's values for ROW_TABLE_COLUMNS. */
export function rowTableValues(r: McpActivity): (string | number | null)[] {
  return [
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
  ];
}

const READ_ROWS = `SELECT id, at, user_id AS userId, client_id AS clientId, server, endpoint, session_id AS sessionId,
  method, target, outcome, http_status AS httpStatus, rpc_error_code AS rpcErrorCode, latency_ms AS latencyMs,
  request_bytes AS requestBytes, response_bytes AS responseBytes, ip
  FROM mcp_activity WHERE id > ? ORDER BY id LIMIT ?`;

/**
 * Packs the rows of the activity table that migrations 0000–0010 kept (a row per request) into
 * segments (src/audit/activity/segment.ts), each row keeping its id, then drops that table and its
 * block index. SQL cannot build the segments' blobs, so this runs after the migrations
 * (src/db/migrate.ts), in one transaction; a database without the old table is left alone.
 * Returns how many rows it converted.
 */
export function convertRowActivity(sqlite: Database): number {
  const table = sqlite.prepare<{ found: number }, [string]>(
    "SELECT count(*) AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
  );
  const exists = (name: string) => table.get(name)?.found === 1;
  // Before migration 0011 (a test's partial migration) there is nowhere to put them.
  if (!exists("mcp_activity") || !exists("mcp_activity_segments")) return 0;
  return sqlite.transaction(() => {
    const insert = segmentInserter(sqlite);
    const read = sqlite.query<RowTableRow, [number, number]>(READ_ROWS);
    let converted = 0;
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = read.all(after, ROWS_PER_SEGMENT);
      const first = rows[0]?.id;
      if (first === undefined) break;
      const segment = encodeSegment(
        rows.map(toActivity),
        rows.map((row) => row.id - first),
      );
      if (segment !== undefined) insert(segment, first);
      converted += rows.length;
      after = rows.at(-1)?.id ?? after;
    }
    sqlite.run("DROP TABLE mcp_activity");
    sqlite.run("DROP TABLE IF EXISTS mcp_activity_blocks");
    return converted;
  })();
}

function toActivity({ id: _id, ...row }: RowTableRow): McpActivity {
  return {
    ...row,
    endpoint: row.endpoint === "aggregate" ? "aggregate" : "server",
    outcome: row.outcome as ActivityOutcome,
  };
}
