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

      <section class="card" aria-labelledby="grants">
        <h2 id="grants">Servers granted to this user</h2>
        <p class="hint">
          Grants to the user's groups are not shown here:{" "}
          <code>GET /admin/api/mcp-servers/{"{id}"}/grants</code> lists every grant of a server.
        </p>
        {props.grants.length === 0 ? (
          <p class="muted">No direct grants.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Tools</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {props.grants.map((grant) => (
                <tr>
                  <td safe>{grant.serverName}</td>
                  <td safe>
                    {`${grant.allowedTools === null ? "all" : `only ${grant.allowedTools.join(", ")}`}${grant.deniedTools.length > 0 ? `; never ${grant.deniedTools.join(", ")}` : ""}`}
                  </td>
                  <td>
                    <ActionForm
                      action={`${base}/grants/${grant.id}/revoke`}
                      csrfToken={csrfToken}
                      label="Revoke"
                      danger
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="applications">
        <h2 id="applications">Connected applications</h2>
        {props.applications.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Resources</th>
                <th scope="col">Since</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {props.applications.map((app) => (
                <tr>
                  <td safe>{app.name}</td>
                  <td safe>{app.resources.join(", ")}</td>
                  <td safe>{when(app.since)}</td>
                  <td>
                    <ActionForm
                      action={`${base}/applications/revoke`}
                      csrfToken={csrfToken}
                      label="Revoke"
                      danger
                      fields={{ client_id: app.clientId }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="tokens">
        <h2 id="tokens">Personal access tokens</h2>
        {props.tokens.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Servers</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((token) => (
                <tr data-token={token.id}>
                  <td safe>{token.name}</td>
                  <td safe>{token.servers === null ? "all" : token.servers.join(", ")}</td>
                  <td safe>{tokenStatus(token, now)}</td>
                  <td safe>{token.expiresAt === null ? "never" : when(token.expiresAt)}</td>
                  <td>
                    {tokenStatus(token, now) === "active" ? (
                      <ActionForm
                        action={`${base}/tokens/${token.id}/revoke`}
                        csrfToken={csrfToken}
                        label="Revoke"
                        danger
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

      <section class="card" aria-labelledby="sessions">
        <h2 id="sessions">Browser sessions</h2>
        {props.sessions.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Started</th>
                <th scope="col">Expires</th>
                <th scope="col"></th>
              </tr>
            </thead>
            <tbody>
              {props.sessions.map((session) => (
                <tr>
                  <td safe>{session.userAgent ?? "unknown"}</td>
                  <td safe>{when(session.createdAt)}</td>
                  <td safe>{when(session.expiresAt)}</td>
                  <td>
                    <ActionForm
                      action={`${base}/sessions/revoke`}
                      csrfToken={csrfToken}
                      label="End"
                      danger
                      fields={{ session: session.idHash }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </AdminShell>
  );
}
