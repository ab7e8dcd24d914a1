import {
  ACTIVITY_OUTCOMES,
  type ActivityPageFilters,
  activityQueryString,
} from "../../src/admin/pages/activity-query.ts";
import { ActivityHead, ActivityRow, type ActivityRowData } from "./activity-row.tsx";
import { LiveRows } from "./live-rows.tsx";
import { AdminShell } from "./shell.tsx";

/** Methods offered in the filter's suggestions (any other can be typed). */
const COMMON_METHODS = [
  "tools/call",
  "tools/list",
  "initialize",
  "notifications/initialized",
  "resources/read",
  "resources/list",
  "prompts/get",
  "prompts/list",
  "ping",
  "GET",
  "DELETE",
];

export interface ActivityHistory {
  /** False when MCP_LOG_DB_ENABLED=false: nothing is stored, only the live list works. */
  stored: boolean;
  /** The user filter names nobody: no row can match. */
  unknownUser: boolean;
  rows: ActivityRowData[];
  total: number;
  page: number;
  pageSize: number;
}

export interface ActivityPageProps {
  username: string;
  csrfToken: string;
  filters: ActivityPageFilters;
  /** The servers' names, for the server filter. */
  servers: string[];
  /** Most rows the live list keeps (ADMIN_LIVE_ACTIVITY_ROWS). */
  liveMaxRows: number;
  history: ActivityHistory;
}

function Filters({ filters, servers }: { filters: ActivityPageFilters; servers: string[] }) {
  const serverNames =
    filters.server !== "" && !servers.includes(filters.server) ? [...servers, filters.server] : servers;
  return (
    <form class="card activity-filters" method="get" action="/admin/activity" aria-label="Filters">
      <label>
        User
        <input type="text" name="user" value={filters.user} placeholder="any user" autocomplete="off" />
      </label>
      <label>
        Server
        <select name="server">
          <option value="">any server</option>
          {serverNames.map((name) => (
            <option value={name} selected={name === filters.server} safe>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Method
        <input
          type="text"
          name="method"
          value={filters.method}
          list="activity-methods"
          placeholder="any method"
          autocomplete="off"
        />
        <datalist id="activity-methods">
          {COMMON_METHODS.map((method) => (
            <option value={method} />
          ))}
        </datalist>
      </label>
      <label>
        Outcome
        <select name="outcome">
          <option value="">any outcome</option>
          {ACTIVITY_OUTCOMES.map((outcome) => (
            <option value={outcome} selected={outcome === filters.outcome}>
              {outcome}
            </option>
          ))}
        </select>
      </label>
      <div class="activity-filter-actions">
        <button type="submit">Filter</button>
        <a href="/admin/activity">Clear</a>
      </div>
    </form>
  );
}

/** The live list; the stream carries the same filters as the history, so both show the same kind of rows. */
function Live({ filters, maxRows }: { filters: ActivityPageFilters; maxRows: number }) {
  return (
    <LiveRows
      prefix="activity"
      label="Live activity"
      event="activity"
      noun="request"
      nouns="requests"
      stream={`/admin/activity/stream${activityQueryString(filters)}`}
      maxRows={maxRows}
      tableClass="list activity"
      empty="New MCP requests appear here as they happen."
    >
      <ActivityHead />
    </LiveRows>
  );
}

function Pagination({ filters, page, pages }: { filters: ActivityPageFilters; page: number; pages: number }) {
  if (pages <= 1) return "";
  return (
    <nav class="pagination" aria-label="Pages">
      {page > 1 ? (
        <a href={`/admin/activity${activityQueryString(filters, page - 1)}`} rel="prev">
          ← Newer
        </a>
      ) : (
        ""
      )}
      <span safe>{`Page ${page} of ${pages}`}</span>
      {page < pages ? (
        <a href={`/admin/activity${activityQueryString(filters, page + 1)}`} rel="next">
          Older →
        </a>
      ) : (
        ""
      )}
    </nav>
  );
}

function History({ filters, history }: { filters: ActivityPageFilters; history: ActivityHistory }) {
  const pages = Math.max(1, Math.ceil(history.total / history.pageSize));
  return (
    <section class="card activity-history" aria-label="History">
      <h2>History</h2>
      {!history.stored ? (
        <p class="empty">
          MCP activity is not stored (<code>MCP_LOG_DB_ENABLED=false</code>): only the live list shows it.
        </p>
      ) : history.unknownUser ? (
        <p class="empty" safe>
          No user is named {filters.user}.
        </p>
      ) : history.rows.length === 0 ? (
        <p class="empty">{history.page > 1 ? "No rows on this page." : "No MCP requests recorded yet."}</p>
      ) : (
        <>
          <p class="hint" safe>
            {`${history.total} request${history.total === 1 ? "" : "s"}, newest first, as the page loaded.`}
          </p>
          <div class="table-wrap">
            <table class="list activity" id="activity-history-table">
              <ActivityHead />
              <tbody>
                {history.rows.map((row) => (
                  <ActivityRow row={row} />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination filters={filters} page={history.page} pages={pages} />
        </>
      )}
    </section>
  );
}

/** /admin/activity: the live list (script), the filters, and the stored history (server-paged). */
export function ActivityPage({
  username,
  csrfToken,
  filters,
  servers,
  liveMaxRows,
  history,
}: ActivityPageProps) {
  return (
    <AdminShell title="MCP activity" current="/admin/activity" username={username} csrfToken={csrfToken}>
      <Filters filters={filters} servers={servers} />
      <Live filters={filters} maxRows={liveMaxRows} />
      <History filters={filters} history={history} />
      <script src="/static/live-rows.js" defer></script>
      <script src="/static/activity.js" defer></script>
    </AdminShell>
  );
}
