import { type LogQuery, logQueryString } from "../../src/logs/query.ts";
import { LOG_LEVEL_NAMES, type LogLine } from "../../src/logs/ring.ts";
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

/** The live list: hidden until /static/live-rows.js shows it; its stream carries the page's filters. */
function Live({ query, maxLines }: { query: LogQuery; maxLines: number }) {
  return (
    <section
      class="card activity-live"
      id="logs-live"
      aria-label="Live log"
      data-live-rows
      data-pause="logs-pause"
      data-event="log"
      data-noun="line"
      data-nouns="lines"
      data-stream={`/admin/logs/stream${logQueryString(query)}`}
      data-max-rows={String(maxLines)}
      hidden
    >
      <header class="activity-live-head">
        <h2>Live</h2>
        <span id="logs-live-status" class="hint" aria-live="polite">
          connecting…
        </span>
        <button type="button" id="logs-pause" class="secondary" aria-pressed="false">
          Pause
        </button>
      </header>
      <div class="table-wrap">
        <table class="list logs" id="logs-live-table">
          <LogHead />
          <tbody id="logs-live-rows"></tbody>
        </table>
      </div>
      <p class="empty" id="logs-live-empty">
        New log lines appear here as the gateway writes them.
      </p>
    </section>
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
