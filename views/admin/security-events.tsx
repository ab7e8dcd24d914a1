import type { StoredSecurityEvent } from "../../src/audit/security-events/store.ts";
import { SECURITY_EVENT_TYPES, SECURITY_SEVERITIES } from "../../src/audit/security-events/types.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

/** The filter form's values as submitted (text, shown back escaped). */
export interface SecurityFilterValues {
  type: string;
  min_severity: string;
  user: string;
  ip: string;
  from: string;
  to: string;
}

export interface SecurityEventsProps {
  username: string;
  csrfToken: string;
  events: StoredSecurityEvent[];
  /** The usernames of the events' users that still exist. */
  usernames: Map<string, string>;
  total: number;
  page: number;
  pageSize: number;
  values: SecurityFilterValues;
  errors?: string[];
}

function pageHref(values: SecurityFilterValues, page: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  return query ? `/admin/security?${query}` : "/admin/security";
}

/** `/admin/security`: the stored security events, newest first, filtered, a page at a time. */
export function SecurityEventsPage(props: SecurityEventsProps) {
  const { username, csrfToken, events, usernames, total, page, pageSize, values } = props;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <AdminShell title="Security events" current="/admin/security" username={username} csrfToken={csrfToken}>
      <form class="admin-filters" method="get" action="/admin/security">
        <label>
          Type{" "}
          <select name="type">
            <option value="">any</option>
            {SECURITY_EVENT_TYPES.map((type) => (
              <option value={type} selected={values.type === type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity at least{" "}
          <select name="min_severity">
            <option value="">any</option>
            {SECURITY_SEVERITIES.map((severity) => (
              <option value={severity} selected={values.min_severity === severity}>
                {severity}
              </option>
            ))}
          </select>
        </label>
        <label>
          User{" "}
          <input type="text" name="user" value={values.user} maxlength="200" placeholder="username or id" />
        </label>
        <label>
          IP <input type="text" name="ip" value={values.ip} maxlength="64" />
        </label>
        <label>
          From (UTC) <input type="datetime-local" name="from" value={values.from} />
        </label>
        <label>
          To (UTC) <input type="datetime-local" name="to" value={values.to} />
        </label>
        <button type="submit">Filter</button> <a href="/admin/security">Clear</a>
      </form>
      <FormErrors errors={props.errors ?? []} />
      <div class="table-wrap">
        <table class="list security-events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Severity</th>
              <th scope="col">Type</th>
              <th scope="col">User</th>
              <th scope="col">IP</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.length === 0 ? (
              <tr>
                <td colspan="6" class="muted">
                  No events match.
                </td>
              </tr>
            ) : (
              events.map((event) => (
                <tr data-severity={event.severity} data-event-type={event.type}>
                  <td safe>{when(event.at)}</td>
                  <td>
                    <span class={`severity severity-${event.severity}`}>{event.severity}</span>
                  </td>
                  <td>{event.type}</td>
                  <td safe>{event.userId === null ? "—" : (usernames.get(event.userId) ?? event.userId)}</td>
                  <td safe>{event.ip ?? "—"}</td>
                  <td>
                    <details>
                      <summary safe>{event.clientId ?? "details"}</summary>
                      <pre class="event-details" safe>
                        {JSON.stringify(
                          { ...event.details, ...(event.userAgent ? { user_agent: event.userAgent } : {}) },
                          null,
                          2,
                        )}
                      </pre>
                    </details>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {page > 1 ? <a href={pageHref(values, page - 1)}>← Newer</a> : <span class="muted">← Newer</span>}
        <span safe>{`Page ${page} of ${pages} · ${total} ${total === 1 ? "event" : "events"}`}</span>
        {page < pages ? <a href={pageHref(values, page + 1)}>Older →</a> : <span class="muted">Older →</span>}
      </nav>
    </AdminShell>
  );
}
