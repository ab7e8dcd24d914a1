import type { OAuthClient } from "../../src/oauth/client-store.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

/** A client just pre-registered: its secret is on this answer only (only its hash is stored). */
export interface CreatedClient {
  clientId: string;
  name: string;
  secret?: string;
}

export interface ClientsListProps {
  username: string;
  csrfToken: string;
  clients: OAuthClient[];
  errors?: string[];
  notice?: string;
  created?: CreatedClient;
  /** What the create form was submitted with, shown back after an error. */
  values?: { name: string; redirectUris: string; authMethod: string; refresh: boolean };
}

const KIND: Record<OAuthClient["source"], string> = {
  dynamic: "dynamically registered",
  admin: "pre-registered",
  config: "config file",
  cimd: "metadata document",
};

const AUTH_METHODS = [
  { value: "client_secret_basic", label: "Confidential: secret in HTTP Basic (client_secret_basic)" },
  { value: "client_secret_post", label: "Confidential: secret in the form (client_secret_post)" },
  { value: "none", label: "Public: no secret, PKCE only (none)" },
] as const;

function CreatedNotice({ created }: { created: CreatedClient }) {
  return (
    <section class="card client-created" aria-labelledby="client-created">
      <h2 id="client-created">Client created</h2>
      <p safe>{`The client ${created.name} is registered.`}</p>
      <dl class="client-facts">
        <dt>Client ID</dt>
        <dd class="client-fact">
          <code safe>{created.clientId}</code>
        </dd>
        {created.secret ? (
          <>
            <dt>Client secret</dt>
            <dd class="client-fact">
              <code class="client-secret" safe>
                {created.secret}
              </code>
            </dd>
          </>
        ) : (
          ""
        )}
      </dl>
      {created.secret ? (
        <p class="hint">Copy the secret now: it is shown on this page only and cannot be shown again.</p>
      ) : (
        <p class="hint">A public client: it has no secret and proves itself with PKCE.</p>
      )}
    </section>
  );
}

function ClientRow({ client, csrfToken }: { client: OAuthClient; csrfToken: string }) {
  const base = `/admin/clients/${encodeURIComponent(client.clientId)}`;
  return (
    <tr data-client={client.clientId}>
      <td safe>{client.name}</td>
      <td>
        <code class="client-id" safe>
          {client.clientId}
        </code>
      </td>
      <td>
        {client.redirectUris.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          <ul class="plain">
            {client.redirectUris.map((uri) => (
              <li safe>{uri}</li>
            ))}
          </ul>
        )}
      </td>
      <td safe>{KIND[client.source]}</td>
      <td safe>{when(client.createdAt)}</td>
      <td>
        {client.status === "active" ? "active" : <span class="badge badge-off">waiting for approval</span>}
      </td>
      <td class="actions">
        {client.status === "pending" ? (
          <form method="post" action={`${base}/approve`}>
            <input type="hidden" name="_csrf" value={csrfToken} />
            <button type="submit">Approve</button>
          </form>
        ) : (
          ""
        )}
        <form method="post" action={`${base}/delete`}>
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit" class="danger">
            Delete
          </button>
        </form>
      </td>
    </tr>
  );
}

/** `/admin/clients`: every stored OAuth client, approve / delete, and the pre-registration form. */
export function ClientsListPage(props: ClientsListProps) {
  const { username, csrfToken, clients, notice, created } = props;
  const values = props.values ?? {
    name: "",
    redirectUris: "",
    authMethod: "client_secret_basic",
    refresh: true,
  };
  return (
    <AdminShell title="OAuth clients" current="/admin/clients" username={username} csrfToken={csrfToken}>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      {created ? <CreatedNotice created={created} /> : ""}
      <p class="hint">
        Deleting a client revokes every token issued to it, for every user. Clients identified by a metadata
        document URL are fetched when used and not stored, so they are not listed here.
      </p>
      <table class="list clients-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Client ID</th>
            <th scope="col">Redirect URIs</th>
            <th scope="col">Kind</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {clients.length === 0 ? (
            <tr>
              <td colspan="7" class="muted">
                No clients are registered.
              </td>
            </tr>
          ) : (
            clients.map((client) => <ClientRow client={client} csrfToken={csrfToken} />)
          )}
        </tbody>
      </table>
      <section class="card" aria-labelledby="create-client">
        <h2 id="create-client">Pre-register a client</h2>
        <FormErrors errors={props.errors ?? []} />
        <form method="post" action="/admin/clients" class="stack">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            Name <input type="text" name="client_name" required maxlength="200" value={values.name} />
          </label>
          <label>
            Redirect URIs (one a line){" "}
            <textarea name="redirect_uris" rows="3" required safe>
              {values.redirectUris}
            </textarea>
          </label>
          <label>
            Client authentication{" "}
            <select name="token_endpoint_auth_method">
              {AUTH_METHODS.map((method) => (
                <option value={method.value} selected={method.value === values.authMethod}>
                  {method.label}
                </option>
              ))}
            </select>
          </label>
          <label class="choice">
            <input type="checkbox" name="refresh_token" value="on" checked={values.refresh} /> May use refresh
            tokens
          </label>
          <button type="submit">Create client</button>
        </form>
      </section>
    </AdminShell>
  );
}
