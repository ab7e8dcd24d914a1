import type { BackendTokenState, BackendTokenStatus } from "../../src/admin/pages/backend-tokens-service.ts";
import type { CredentialKind } from "../../src/gateway/types.ts";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

/** What the last "Refresh now" of a row came to, shown in that row. */
export interface RowResult {
  ok: boolean;
  message: string;
}

export interface BackendTokensPageProps {
  username: string;
  csrfToken: string;
  states: BackendTokenState[];
  now: number;
  /** How long the page's htmx refresh waits for an answer before it says so (ms). */
  refreshWaitMs: number;
  notice?: string;
  errors?: string[];
}

export interface BackendTokenRowProps {
  state: BackendTokenState;
  csrfToken: string;
  now: number;
  refreshWaitMs: number;
  result?: RowResult;
}

const KIND: Record<CredentialKind, string> = {
  none: "none",
  headers: "static headers",
  bearer: "static bearer token",
  client_credentials: "OAuth client credentials",
  upstream_user_token: "each person's upstream token",
};

const STATUS: Record<BackendTokenStatus, string> = {
  ok: "ok",
  expired: "expired",
  refresh_failed: "refresh failed",
  not_fetched: "no token yet",
  static: "static",
  per_user: "per person",
  not_applicable: "not applicable",
};

/** "2026-12-02 03:40:12 UTC": to the second, so a refresh shows a new expiry. */
function at(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "in 4 min", "12 s ago": how far `ms` is from `now`. */
function relative(ms: number, now: number): string {
  const seconds = Math.round((ms - now) / 1000);
  const size = Math.abs(seconds);
  const amount =
    size < 120 ? `${size} s` : size < 7200 ? `${Math.round(size / 60)} min` : `${Math.round(size / 3600)} h`;
  if (size < 5) return "just now";
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

function Time({ ms, now }: { ms: number; now: number }) {
  return (
    <>
      <time datetime={new Date(ms).toISOString()} safe>
        {at(ms)}
      </time>
      <div class="muted" safe>
        {relative(ms, now)}
      </div>
    </>
  );
}

/** The expiry cell: the token's, or why there is none. */
function Expiry({ state, now }: { state: BackendTokenState; now: number }) {
  if (state.expiresAt !== undefined) return <Time ms={state.expiresAt} now={now} />;
  if (state.kind !== "client_credentials") return <span class="muted">does not apply</span>;
  return state.status === "not_fetched" || state.lastRefreshAt === undefined ? (
    <span class="muted">no token held</span>
  ) : (
    <span class="muted">no expiry given</span>
  );
}

/** The "Refresh now" form: htmx swaps the row in place; without script it posts the whole page. */
function RefreshForm({ state, csrfToken, refreshWaitMs }: BackendTokenRowProps) {
  const id = state.server.id;
  const action = `/admin/backend-tokens/${encodeURIComponent(id)}/refresh`;
  return (
    <form
      class="inline token-refresh"
      method="post"
      action={action}
      hx-post={action}
      hx-target="closest tr"
      hx-swap="outerHTML"
      hx-indicator="find .htmx-indicator"
      hx-disabled-elt="find button"
      hx-request={JSON.stringify({ timeout: refreshWaitMs })}
      data-request-failed={`token-failed-${id}`}
      data-timeout-text={`No answer within ${Math.round(refreshWaitMs / 1000)} s: the refresh may still finish. Reload the page to see.`}
      data-error-text="The refresh did not go through (signed out, or the gateway is unreachable). Reload the page."
    >
      <input type="hidden" name="_csrf" value={csrfToken} />
      <button type="submit" class="secondary">
        Refresh now
      </button>
      <span class="htmx-indicator token-progress" role="status">
        Refreshing…
      </span>
      <span class="token-failed" id={`token-failed-${id}`} role="alert" hidden></span>
    </form>
  );
}

/** One server's row; also the answer to the page's htmx "Refresh now" (swapped in place). */
export function BackendTokenRow(props: BackendTokenRowProps) {
  const { state, now, result } = props;
  const { server } = state;
  return (
    <tr id={`token-${server.id}`} data-server={server.id} data-status={state.status}>
      <td>
        <a href={`/admin/servers/${encodeURIComponent(server.id)}`} safe>
          {server.name}
        </a>
        {server.displayName && server.displayName !== server.name ? (
          <div class="muted" safe>
            {server.displayName}
          </div>
        ) : (
          ""
        )}
      </td>
      <td class="token-kind" safe>
        {KIND[state.kind]}
      </td>
      <td>
        <span class={`badge token-${state.status}`} safe>
          {STATUS[state.status]}
        </span>
      </td>
      <td class="token-expiry">
        <Expiry state={state} now={now} />
      </td>
      <td class="token-refreshed">
        {state.lastRefreshAt !== undefined ? <Time ms={state.lastRefreshAt} now={now} /> : "—"}
      </td>
      <td class="token-error">
        {state.lastError ? (
          <>
            <div safe>{state.lastError.message}</div>
            <Time ms={state.lastError.at} now={now} />
          </>
        ) : (
          "—"
        )}
      </td>
      <td class="token-action">
        {state.refreshable ? <RefreshForm {...props} /> : <span class="muted">—</span>}
        {result ? (
          <p class={result.ok ? "token-result ok" : "token-result failed"} role="status" safe>
            {result.message}
          </p>
        ) : (
          ""
        )}
      </td>
    </tr>
  );
}

/** The answer to htmx when the row's server is gone: a row that says so. */
export function MissingServerRow({ message }: { message: string }) {
  return (
    <tr>
      <td colspan="7">
        <p class="token-result failed" role="status" safe>
          {message}
        </p>
      </td>
    </tr>
  );
}

/**
 * `/admin/backend-tokens`: every server's backend credential kind and status, the token's expiry,
 * its last refresh and last error; never a secret value.
 */
export function BackendTokensPage(props: BackendTokensPageProps) {
  const { username, csrfToken, states, now, refreshWaitMs, notice } = props;
  return (
    <AdminShell
      title="Backend tokens"
      current="/admin/backend-tokens"
      username={username}
      csrfToken={csrfToken}
    >
      <p class="hint">
        The credential the gateway sends to each backend. Client-credentials tokens are fetched on first use
        and again before they expire; "Refresh now" fetches one at once. Secret values are never shown.
      </p>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <FormErrors errors={props.errors ?? []} />
      {states.length === 0 ? (
        <p class="muted">No MCP server is configured.</p>
      ) : (
        <div class="table-wrap">
          <table class="list backend-tokens">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Credential</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col">Last refresh</th>
                <th scope="col">Last error</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {states.map((state) => (
                <BackendTokenRow
                  state={state}
                  csrfToken={csrfToken}
                  now={now}
                  refreshWaitMs={refreshWaitMs}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AdminShell>
  );
}
