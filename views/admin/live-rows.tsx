import type { Children } from "@kitajs/html";

/** What differs between the live lists (activity, logs); the ids all start with `prefix`. */
export interface LiveRowsProps {
  /** `activity` → ids `activity-live`, `activity-pause`, `activity-live-rows` … (the scripts and tests find them so). */
  prefix: string;
  label: string;
  /** The SSE event name each row comes as. */
  event: string;
  noun: string;
  nouns: string;
  /** The stream's URL, with the page's filters. */
  stream: string;
  maxRows: number;
  tableClass: string;
  /** Shown while no row has come yet. */
  empty: string;
  /** The table's head. */
  children: Children;
}

/**
 * A live list fed by an SSE stream: hidden until /static/live-rows.js shows it (it needs the
 * script), with its connection status and a pause button.
 */
export function LiveRows(props: LiveRowsProps) {
  const { prefix } = props;
  return (
    <section
      class="card activity-live"
      id={`${prefix}-live`}
      aria-label={props.label}
      data-live-rows
      data-pause={`${prefix}-pause`}
      data-event={props.event}
      data-noun={props.noun}
      data-nouns={props.nouns}
      data-stream={props.stream}
      data-max-rows={String(props.maxRows)}
      hidden
    >
      <header class="activity-live-head">
        <h2>Live</h2>
        <span id={`${prefix}-live-status`} class="hint" aria-live="polite">
          connecting…
        </span>
        <button type="button" id={`${prefix}-pause`} class="secondary" aria-pressed="false">
          Pause
        </button>
      </header>
      <div class="table-wrap">
        <table class={props.tableClass} id={`${prefix}-live-table`}>
          {props.children}
          <tbody id={`${prefix}-live-rows`}></tbody>
        </table>
      </div>
      <p class="empty" id={`${prefix}-live-empty`} safe>
        {props.empty}
      </p>
    </section>
  );
}
