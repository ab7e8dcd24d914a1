import type { UserRow } from "../../src/identity/user-store.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

export interface UsersListProps {
  username: string;
  csrfToken: string;
  users: UserRow[];
  total: number;
  q: string;
  /** 1-based page number and the rows per page. */
  page: number;
  pageSize: number;
  passwordRules: string;
  errors?: string[];
  notice?: string;
  /** What the create form was submitted with (never the password). */
  values?: { username: string; email: string; isAdmin: boolean };
}

function pageHref(q: string, page: number): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  return query ? `/admin/users?${query}` : "/admin/users";
}

/** Previous / next links and where the page is; server-side pagination. */
export function Pager({
  q,
  page,
  pageSize,
  total,
}: {
  q: string;
  page: number;
  pageSize: number;
  total: number;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav class="pager" aria-label="Pages">
      {page > 1 ? <a href={pageHref(q, page - 1)}>← Previous</a> : <span class="muted">← Previous</span>}
      <span safe>{`Page ${page} of ${pages} · ${total} ${total === 1 ? "user" : "users"}`}</span>
      {page < pages ? <a href={pageHref(q, page + 1)}>Next →</a> : <span class="muted">Next →</span>}
    </nav>
  );
}

/** `/admin/users`: search, one page of people, and the form to create one. */
export function UsersListPage(props: UsersListProps) {
  const { username, csrfToken, users, total, q, page, pageSize, passwordRules, notice } = props;
  const values = props.values ?? { username: "", email: "", isAdmin: false };
  return (
    <AdminShell title="Users" current="/admin/users" username={username} csrfToken={csrfToken}>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <form class="admin-search" method="get" action="/admin/users">
        <label>
          Search by name or email{" "}
          <input type="search" name="q" value={q} maxlength="200" autocomplete="off" />
        </label>
        <button type="submit">Search</button>
      </form>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Last sign-in</th>
          </tr>
        </thead>
        <tbody>
          {users.length === 0 ? (
            <tr>
              <td colspan="5" class="muted">
                No users match.
              </td>
            </tr>
          ) : (
            users.map((user) => (
              <tr data-user={user.id}>
                <td>
                  <a href={`/admin/users/${user.id}`} safe>
                    {user.username}
                  </a>
                </td>
                <td safe>{user.email}</td>
                <td>{user.isAdmin ? <span class="badge">admin</span> : "user"}</td>
                <td>{user.isActive ? "active" : <span class="badge badge-off">disabled</span>}</td>
                <td>{user.lastLoginAt ? when(user.lastLoginAt) : "never"}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <Pager q={q} page={page} pageSize={pageSize} total={total} />
      <section class="card" aria-labelledby="create-user">
        <h2 id="create-user">Create a user</h2>
        <FormErrors errors={props.errors ?? []} />
        <form method="post" action="/admin/users" class="stack">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            Username{" "}
            <input
              type="text"
              name="username"
              required
              maxlength="64"
              autocomplete="off"
              value={values.username}
            />
          </label>
          <label>
            Email <input name="email" type="email" required maxlength="254" value={values.email} />
          </label>
          <label>
            Password <input name="password" type="password" required autocomplete="new-password" />
          </label>
          <p class="hint" safe>
            {passwordRules}
          </p>
          <label class="choice">
            <input type="checkbox" name="is_admin" value="on" checked={values.isAdmin} /> Administrator
          </label>
          <button type="submit">Create user</button>
        </form>
      </section>
    </AdminShell>
  );
}
