import type { McpActivity } from "../../src/audit/activity/types.ts";

/** One MCP request as the activity page shows it: the recorded row and its user's name. */
export type ActivityRowData = McpActivity & {
  /** The stored row's id (absent for a live row not written yet). */
  id?: number;
  /** The user's name now, or null (no user, or one deleted since). */
  username: string | null;
};

/** The columns of the live and the stored tables (the row below must match). */
export function ActivityHead() {
  return (
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">User</th>
        <th scope="col">Server</th>
        <th scope="col">Method</th>
        <th scope="col">Tool / resource</th>
        <th scope="col">Outcome</th>
        <th scope="col">Latency</th>
        <th scope="col">Details</th>
      </tr>
    </thead>
  );
}

const bytes = (n: number | null) => (n === null ? "not counted (streamed)" : `${n} bytes`);

/**
 * One row of MCP activity. Every field is escaped: tool names come from backends and clients, and
 * server names from admins. The details open without script (a `<details>`); the page's script
 * also opens them on a click anywhere on the row.
 */
export function ActivityRow({ row }: { row: ActivityRowData }) {
  const iso = new Date(row.at).toISOString();
  return (
    <tr class="activity-row" data-outcome={row.outcome}>
      <td>
        <time datetime={iso} safe>
          {iso.slice(11, 19)}
        </time>
      </td>
      <td safe>{row.username ?? (row.userId === null ? "—" : row.userId)}</td>
      <td class="activity-server" safe>
        {row.server === "" ? "(all: /mcp)" : row.server}
      </td>
      <td class="activity-method" safe>
        {row.method}
      </td>
      <td class="activity-target" safe>
        {row.target ?? ""}
      </td>
      <td>
        <span class={`badge outcome-${row.outcome}`}>{row.outcome}</span>
      </td>
      <td safe>{`${Math.round(row.latencyMs)} ms`}</td>
      <td>
        <details class="activity-details">
          <summary>Details</summary>
          <dl>
            <dt>Time</dt>
            <dd safe>{iso}</dd>
            <dt>HTTP status</dt>
            <dd safe>{String(row.httpStatus)}</dd>
            <dt>JSON-RPC error</dt>
            <dd safe>{row.rpcErrorCode === null ? "none seen" : String(row.rpcErrorCode)}</dd>
            <dt>Endpoint</dt>
            <dd safe>{row.endpoint === "aggregate" ? "/mcp (aggregated)" : `/mcp/${row.server}`}</dd>
            <dt>User id</dt>
            <dd safe>{row.userId ?? "none"}</dd>
            <dt>Client</dt>
            <dd safe>{row.clientId ?? "none"}</dd>
            <dt>Session</dt>
            <dd safe>{row.sessionId ?? "none"}</dd>
            <dt>Request</dt>
            <dd safe>{bytes(row.requestBytes)}</dd>
            <dt>Response</dt>
            <dd safe>{bytes(row.responseBytes)}</dd>
            <dt>Client IP</dt>
            <dd safe>{row.ip ?? "unknown"}</dd>
          </dl>
        </details>
      </td>
    </tr>
  );
}
