import { type LogQuery, logQueryString } from "../../src/logs/query.ts";
import { LOG_LEVEL_NAMES, type LogLine } from "../../src/logs/ring.ts";
import { LiveRows } from "./live-rows.tsx";
import { LogHead, LogRow } from "./logs-row.tsx";
import { AdminShell } from "./shell.tsx";

export interface LogsPageProps {
  username: string;
  csrfToken: string;
  query: LogQuery;
  /** The newest lines passing the filters, newest first. */
  lines: LogLine[];
  /** Most lines shown and kept by the live list (ADMIN_LOG_PAGE_LINES). */
  maxLines: number;
  /** Lines in the ring now, and its size (LOG_RING_LINES). */
  kept: number;
  capacity: number;
}

function Filters({ query }: { query: LogQuery }) {
  return (
    <form class="card activity-filters" method="get" action="/admin/logs" aria-label="Filters">
      <label>
        Level
        <select name="level">
          <option value="">any level</option>
          {LOG_LEVEL_NAMES.map((level) => (
            <option value={level} selected={level === query.level} safe>
              {`${level} and above`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Text
        <input
          type="text"
          name="q"
          value={query.q}
          placeholder="in the message or fields"
          maxlength="200"
          autocomplete="off"
        />
      </label>
      <div class="activity-filter-actions">
        <button type="submit">Filter</button>
        <a href="/admin/logs">Clear</a>
      </div>
    </form>
  );
}

/** The live list; its stream carries the page's filters. */
function Live({ query, maxLines }: { query: LogQuery; maxLines: number }) {
  return (
    <LiveRows
      prefix="logs"
      label="Live log"
      event="log"
      noun="line"
      nouns="lines"
      stream={`/admin/logs/stream${logQueryString(query)}`}
      maxRows={maxLines}
      tableClass="list logs"
      empty="New log lines appear here as the gateway writes them."
    >
      <LogHead />
    </LiveRows>
  );
}

function Recent({ lines, kept, capacity }: Pick<LogsPageProps, "lines" | "kept" | "capacity">) {
  return (
    <section class="card" aria-label="Recent lines">
      <h2>Recent</h2>
      <p class="hint" safe>
        {`${lines.length} line${lines.length === 1 ? "" : "s"} shown, newest first, as the page loaded; the gateway keeps the last ${capacity} in memory (${kept} now). Passwords, tokens, cookies and secrets are redacted.`}
      </p>
      {lines.length === 0 ? (
        <p class="empty">No log line matches.</p>
      ) : (
        <div class="table-wrap">
          <table class="list logs" id="logs-recent-table">
            <LogHead />
            <tbody>
              {lines.map((line) => (
                <LogRow line={line} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** /admin/logs: the filters, the live list (script) and the recent lines of the in-memory ring. */
export function LogsPage({ username, csrfToken, query, lines, maxLines, kept, capacity }: LogsPageProps) {
  return (
    <AdminShell title="Application log" current="/admin/logs" username={username} csrfToken={csrfToken}>
      <Filters query={query} />
      <Live query={query} maxLines={maxLines} />
      <Recent lines={lines} kept={kept} capacity={capacity} />
      <script src="/static/live-rows.js" defer></script>
    </AdminShell>
  );
}
