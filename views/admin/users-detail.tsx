import type { Children } from "@kitajs/html";
import type { UserRow } from "../../src/identity/user-store.ts";
import type { PersonalToken } from "../../src/portal/personal-tokens.ts";
import type { ConnectedApplication } from "../../src/portal/service.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

export interface UserGrantView {
  id: string;
  serverName: string;
  allowedTools: string[] | null;
  deniedTools: string[];
}

export interface UserSessionView {
  idHash: string;
  createdAt: number;
  expiresAt: number;
  userAgent: string | null;
}

export interface UserDetailProps {
  username: string;
  csrfToken: string;
  user: UserRow;
  /** The admin is looking at their own account: the buttons that would lock them out are left out. */
  self: boolean;
  groups: { id: string; name: string }[];
  /** Groups the user could be added to: one page of those matching `groupQuery`, by name. */
  otherGroups: { id: string; name: string }[];
  groupQuery: string;
  /** More groups match than are offered: the search narrows them. */
  moreGroups: boolean;
  grants: UserGrantView[];
  applications: ConnectedApplication[];
  tokens: PersonalToken[];
  sessions: UserSessionView[];
  passwordRules: string;
  now: number;
  notice?: string;
  errors?: string[];
}

/** A POST form of one button, carrying the CSRF token (and hidden fields). */
function ActionForm({
  action,
  csrfToken,
  label,
  danger,
  fields = {},
}: {
  action: string;
  csrfToken: string;
  label: string;
  danger?: boolean;
  fields?: Record<string, string>;
}) {
  return (
    <form class="inline" method="post" action={action}>
      <input type="hidden" name="_csrf" value={csrfToken} />
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={danger ? "secondary danger" : "secondary"} safe>
        {label}
      </button>
    </form>
  );
}

/** A grant's tool rule in words. */
function toolRule(grant: UserGrantView): string {
  const only = grant.allowedTools === null ? "all" : `only ${grant.allowedTools.join(", ")}`;
  return grant.deniedTools.length > 0 ? `${only}; never ${grant.deniedTools.join(", ")}` : only;
}

interface RevocableRow {
  /** Written as the row's `data-token` (the tokens' id). */
  key?: string;
  /** Text cells, escaped. */
  cells: string[];
  /** The row's button (a POST with the CSRF token), if it has one. */
  action?: { path: string; label: string; fields?: Record<string, string> };
}

/** A card listing what a user holds (grants, applications, tokens, sessions), each with its revoke button. */
function RevocableList(props: {
  id: string;
  title: string;
  empty: string;
  /** Shown under the title (markup the caller wrote, not data). */
  children?: Children;
  headings: string[];
  rows: RevocableRow[];
  csrfToken: string;
}) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id} safe>
        {props.title}
      </h2>
      {props.children}
      {props.rows.length === 0 ? (
        <p class="muted" safe>
          {props.empty}
        </p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              {props.headings.map((heading) => (
                <th scope="col" safe>
                  {heading}
                </th>
              ))}
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr data-token={row.key}>
                {row.cells.map((cell) => (
                  <td safe>{cell}</td>
                ))}
                <td>
                  {row.action ? (
                    <ActionForm
                      action={row.action.path}
                      csrfToken={props.csrfToken}
                      label={row.action.label}
                      danger
                      fields={row.action.fields}
                    />
                  ) : (
                    ""
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function tokenStatus(token: PersonalToken, now: number): string {
  if (token.revokedAt !== null) return "revoked";
  if (token.expiresAt !== null && token.expiresAt <= now) return "expired";
  return "active";
}

/** `/admin/users/{id}`: one person, what they may do and every credential they hold, each revocable. */
export function UserDetailPage(props: UserDetailProps) {
  const { username, csrfToken, user, self, now } = props;
  const base = `/admin/users/${user.id}`;
  return (
    <AdminShell
      title={`User ${user.username}`}
      current="/admin/users"
      username={username}
      csrfToken={csrfToken}
    >
      <p>
        <a href="/admin/users">← All users</a>
      </p>
      {props.notice ? (
        <p class="notice" role="status" safe>
          {props.notice}
        </p>
      ) : (
        ""
      )}
      <FormErrors errors={props.errors ?? []} />
      <section class="card" aria-labelledby="account">
        <h2 id="account">Account</h2>
        <dl class="facts">
          <dt>Username</dt>
          <dd safe>{user.username}</dd>
          <dt>Email</dt>
          <dd safe>{user.email}</dd>
          <dt>Role</dt>
          <dd>{user.isAdmin ? "administrator" : "user"}</dd>
          <dt>Status</dt>
          <dd>{user.isActive ? "active" : <span class="badge badge-off">disabled</span>}</dd>
          <dt>Created</dt>
          <dd safe>{when(user.createdAt)}</dd>
          <dt>Last sign-in</dt>
          <dd>{user.lastLoginAt ? when(user.lastLoginAt) : "never"}</dd>
        </dl>
        {self ? (
          <p class="hint">
            This is your own account: another administrator can disable it or remove its admin role.
          </p>
        ) : (
          <div class="actions">
            {user.isActive ? (
              <ActionForm action={`${base}/disable`} csrfToken={csrfToken} label="Disable" danger />
            ) : (
              <ActionForm action={`${base}/enable`} csrfToken={csrfToken} label="Enable" />
            )}
            {user.isAdmin ? (
              <ActionForm
                action={`${base}/unmake-admin`}
                csrfToken={csrfToken}
                label="Remove admin role"
                danger
              />
            ) : (
              <ActionForm action={`${base}/make-admin`} csrfToken={csrfToken} label="Make admin" />
            )}
          </div>
        )}
        <form method="post" action={`${base}/password`} class="stack">
          <h3>Reset password</h3>
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            New password <input name="password" type="password" required autocomplete="new-password" />
          </label>
          <p class="hint" safe>
            {`${props.passwordRules} Every session and token of the user ends.`}
          </p>
          <button type="submit">Reset password</button>
        </form>
      </section>

      <section class="card" aria-labelledby="groups">
        <h2 id="groups">Groups</h2>
        {props.groups.length === 0 ? <p class="muted">In no group.</p> : ""}
        <ul class="plain">
          {props.groups.map((group) => (
            <li>
              <span safe>{group.name}</span>{" "}
              <ActionForm
                action={`${base}/groups/${group.id}/remove`}
                csrfToken={csrfToken}
                label="Remove"
                danger
              />
            </li>
          ))}
        </ul>
        <form method="get" action={base} class="admin-search">
          <label>
            Find groups <input type="search" name="group_q" value={props.groupQuery} maxlength="200" />
          </label>
          <button type="submit" class="secondary">
            Find
          </button>
        </form>
        {props.moreGroups ? (
          <p class="hint">More groups match: type part of a name to narrow the choice.</p>
        ) : (
          ""
        )}
        {props.otherGroups.length > 0 ? (
          <form method="post" action={`${base}/groups`} class="inline">
            <input type="hidden" name="_csrf" value={csrfToken} />
            <label class="choice">
              Add to group{" "}
              <select name="group_id">
                {props.otherGroups.map((group) => (
                  <option value={group.id} safe>
                    {group.name}
                  </option>
                ))}
              </select>
            </label>{" "}
            <button type="submit">Add</button>
          </form>
        ) : (
          <p class="muted">No other group matches.</p>
        )}
      </section>

      <RevocableList
        id="grants"
        title="Servers granted to this user"
        empty="No direct grants."
        headings={["Server", "Tools"]}
        rows={props.grants.map((grant) => ({
          cells: [grant.serverName, toolRule(grant)],
          action: { path: `${base}/grants/${grant.id}/revoke`, label: "Revoke" },
        }))}
        csrfToken={csrfToken}
      >
        <p class="hint">
          Grants to the user's groups are not shown here:{" "}
          <code>GET /admin/api/mcp-servers/{"{id}"}/grants</code> lists every grant of a server.
        </p>
      </RevocableList>

      <RevocableList
        id="applications"
        title="Connected applications"
        empty="None."
        headings={["Application", "Resources", "Since"]}
        rows={props.applications.map((app) => ({
          cells: [app.name, app.resources.join(", "), when(app.since)],
          action: {
            path: `${base}/applications/revoke`,
            label: "Revoke",
            fields: { client_id: app.clientId },
          },
        }))}
        csrfToken={csrfToken}
      />

      <RevocableList
        id="tokens"
        title="Personal access tokens"
        empty="None."
        headings={["Name", "Servers", "Status", "Expires"]}
        rows={props.tokens.map((token) => {
          const status = tokenStatus(token, now);
          return {
            key: token.id,
            cells: [
              token.name,
              token.servers === null ? "all" : token.servers.join(", "),
              status,
              token.expiresAt === null ? "never" : when(token.expiresAt),
            ],
            action:
              status === "active"
                ? { path: `${base}/tokens/${token.id}/revoke`, label: "Revoke" }
                : undefined,
          };
        })}
        csrfToken={csrfToken}
      />

      <RevocableList
        id="sessions"
        title="Browser sessions"
        empty="None."
        headings={["Browser", "Started", "Expires"]}
        rows={props.sessions.map((session) => ({
          cells: [session.userAgent ?? "unknown", when(session.createdAt), when(session.expiresAt)],
          action: { path: `${base}/sessions/revoke`, label: "End", fields: { session: session.idHash } },
        }))}
        csrfToken={csrfToken}
      />
    </AdminShell>
  );
}
