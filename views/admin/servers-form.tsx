import type { Children } from "@kitajs/html";
import type { FormErrors } from "../../src/admin/pages/servers-form.ts";
import type { McpServer } from "../../src/gateway/types.ts";
import { AdminShell } from "./shell.tsx";

export interface ServerFormProps {
  username: string;
  csrfToken: string;
  /** Undefined: the form of a new server. */
  server?: McpServer;
  /** What the fields show: the server's settings, or what was submitted (never a secret). */
  values: Record<string, string>;
  errors: FormErrors;
}

const CREDENTIAL_LABELS = {
  none: "None",
  bearer: "Bearer token",
  headers: "Static headers",
  client_credentials: "OAuth client credentials",
  upstream_user_token: "The person's own upstream sign-in token",
} as const;

/** A field's problems, right under it; the field points at them with aria-describedby. */
function FieldErrors({ name, errors }: { name: string; errors: FormErrors }) {
  const list = errors[name] ?? [];
  if (list.length === 0) return "";
  return (
    <span class="field-error" id={`${name}-error`} data-error-for={name}>
      {list.map((message) => (
        <span safe>{message}</span>
      ))}
    </span>
  );
}

/** Attributes that tie an input to its errors. */
function invalid(name: string, errors: FormErrors): Record<string, string> {
  return (errors[name]?.length ?? 0) > 0
    ? { "aria-invalid": "true", "aria-describedby": `${name}-error` }
    : {};
}

/** A labelled control, its hint and its problems under it. */
function Labelled(props: {
  label: string;
  name: string;
  errors: FormErrors;
  hint?: string;
  children: Children;
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `children`, inside the label
    <label>
      <span safe>{props.label}</span>
      {props.children}
      {props.hint ? (
        <span class="hint" safe>
          {props.hint}
        </span>
      ) : (
        ""
      )}
      <FieldErrors name={props.name} errors={props.errors} />
    </label>
  );
}

function TextField(props: {
  label: string;
  name: string;
  values: Record<string, string>;
  errors: FormErrors;
  hint?: string;
  type?: string;
  required?: boolean;
  placeholder?: string;
}) {
  const { name, values, errors } = props;
  return (
    <Labelled label={props.label} name={name} errors={errors} hint={props.hint}>
      <input
        type={props.type ?? "text"}
        name={name}
        value={values[name] ?? ""}
        required={props.required}
        placeholder={props.placeholder}
        {...invalid(name, errors)}
      />
    </Labelled>
  );
}

/** A field whose value is never rendered back (a secret): always empty. */
function SecretField(props: {
  label: string;
  name: string;
  errors: FormErrors;
  hint: string;
  multiline?: boolean;
}) {
  const { name, errors } = props;
  return (
    <Labelled label={props.label} name={name} errors={errors} hint={props.hint}>
      {props.multiline ? (
        <textarea name={name} rows="3" spellcheck="false" {...invalid(name, errors)}></textarea>
      ) : (
        <input type="password" name={name} autocomplete="new-password" {...invalid(name, errors)} />
      )}
    </Labelled>
  );
}

function TextArea(props: {
  label: string;
  name: string;
  values: Record<string, string>;
  errors: FormErrors;
  hint: string;
}) {
  const { name, values, errors } = props;
  return (
    <Labelled label={props.label} name={name} errors={errors} hint={props.hint}>
      <textarea name={name} rows="3" spellcheck="false" {...invalid(name, errors)} safe>
        {values[name] ?? ""}
      </textarea>
    </Labelled>
  );
}

function Select(props: {
  label: string;
  name: string;
  values: Record<string, string>;
  errors: FormErrors;
  options: [string, string][];
  hint?: string;
}) {
  const { name, values, errors } = props;
  return (
    <Labelled label={props.label} name={name} errors={errors} hint={props.hint}>
      <select name={name} {...invalid(name, errors)}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={values[name] === value} safe>
            {text}
          </option>
        ))}
      </select>
    </Labelled>
  );
}

function Checkbox(props: {
  label: string;
  name: string;
  values: Record<string, string>;
  errors: FormErrors;
}) {
  const { label, name, values, errors } = props;
  return (
    <>
      <label class="choice">
        <input type="checkbox" name={name} checked={values[name] === "on"} {...invalid(name, errors)} />
        <span safe>{label}</span>
      </label>
      <FieldErrors name={name} errors={errors} />
    </>
  );
}

/** The credential's own fields, one group per kind (a stylesheet shows only the chosen kind's). */
function CredentialGroup({ kind, children }: { kind: string; children: Children }) {
  return <div class={`credential-fields credential-${kind}`}>{children}</div>;
}

/** `/admin/servers/new` and `/admin/servers/{id}/edit`: a server's settings as a form. */
export function ServerFormPage({ username, csrfToken, server, values, errors }: ServerFormProps) {
  const editing = server !== undefined;
  const action = editing ? `/admin/servers/${encodeURIComponent(server.id)}/edit` : "/admin/servers/new";
  const fieldNames = new Set([
    "name",
    "display_name",
    "transport",
    "url",
    "command",
    "args",
    "cwd",
    "env",
    "auth_required",
    "enabled",
    "open_to_all",
    "scopes",
    "timeout_ms",
    "user_context",
    "credential_type",
    "credential_token",
    "credential_headers",
    "credential_token_url",
    "credential_client_id",
    "credential_client_secret",
    "credential_scope",
    "credential_provider",
  ]);
  // Problems that belong to no field of this form (the whole form, pinning, networks) go on top.
  const general = Object.entries(errors)
    .filter(([field]) => !fieldNames.has(field))
    .flatMap(([field, list]) => list.map((message) => (field === "form" ? message : `${field}: ${message}`)));
  const credentialOptions: [string, string][] = [
    ...(editing && server.credentialKind !== "none"
      ? ([["keep", `Keep the stored credential (${server.credentialKind})`]] as [string, string][])
      : []),
    ["none", editing && server.credentialKind !== "none" ? "None: remove the stored credential" : "None"],
    ...Object.entries(CREDENTIAL_LABELS)
      .filter(([kind]) => kind !== "none")
      .map(([kind, text]): [string, string] => [kind, editing ? `New: ${text.toLowerCase()}` : text]),
  ];
  const envNames = server?.stdio?.envNames ?? [];
  const title = editing ? `Edit server ${server.name}` : "Add an MCP server";
  return (
    <AdminShell title={title} current="/admin/servers" username={username} csrfToken={csrfToken}>
      <p>
        {editing ? (
          <a href={`/admin/servers/${encodeURIComponent(server.id)}`}>← Back to the server</a>
        ) : (
          <a href="/admin/servers">← All servers</a>
        )}
      </p>
      {Object.keys(errors).length > 0 ? (
        <div class="errors" role="alert">
          <p>The server was not saved: see the problems next to the fields.</p>
          {general.length > 0 ? (
            <ul>
              {general.map((message) => (
                <li safe>{message}</li>
              ))}
            </ul>
          ) : (
            ""
          )}
        </div>
      ) : (
        ""
      )}
      <form method="post" action={action} class="stack card server-form" novalidate>
        <input type="hidden" name="_csrf" value={csrfToken} />
        <TextField
          label="Name"
          name="name"
          values={values}
          errors={errors}
          required
          hint="1–32 of a-z, 0-9 and '-': the server's path, /mcp/{name}."
        />
        <TextField
          label="Display name"
          name="display_name"
          values={values}
          errors={errors}
          hint="Optional."
        />
        <Select
          label="Transport"
          name="transport"
          values={values}
          errors={errors}
          options={[
            ["streamable-http", "Streamable HTTP"],
            ["sse", "HTTP+SSE (legacy, 2024-11-05)"],
            ["stdio", "stdio (a command the gateway runs)"],
          ]}
        />
        <fieldset class="transport-http">
          <legend>HTTP backend</legend>
          <p class="hint transport-note">Only for the Streamable HTTP and HTTP+SSE transports.</p>
          <TextField
            label="URL"
            name="url"
            type="url"
            values={values}
            errors={errors}
            placeholder="https://mcp.example.com/mcp"
          />
          <Select
            label="User context sent to the backend"
            name="user_context"
            values={values}
            errors={errors}
            options={[
              ["none", "None"],
              ["headers", "X-User-* headers"],
              ["jwt", "A signed assertion (X-User-Assertion)"],
            ]}
          />
          <Select
            label="Backend credential"
            name="credential_type"
            values={values}
            errors={errors}
            options={credentialOptions}
            hint="Credential values are write-only: they are never shown again."
          />
          <CredentialGroup kind="bearer">
            <SecretField
              label="Bearer token"
              name="credential_token"
              errors={errors}
              hint="Sent as Authorization: Bearer …"
            />
          </CredentialGroup>
          <CredentialGroup kind="headers">
            <SecretField
              label="Headers"
              name="credential_headers"
              errors={errors}
              hint="One a line: Name: value."
              multiline
            />
          </CredentialGroup>
          <CredentialGroup kind="client_credentials">
            <TextField
              label="Token URL"
              name="credential_token_url"
              type="url"
              values={values}
              errors={errors}
            />
            <TextField label="Client ID" name="credential_client_id" values={values} errors={errors} />
            <SecretField
              label="Client secret"
              name="credential_client_secret"
              errors={errors}
              hint="Required."
            />
            <TextField
              label="Scope"
              name="credential_scope"
              values={values}
              errors={errors}
              hint="Optional."
            />
          </CredentialGroup>
          <CredentialGroup kind="upstream_user_token">
            <TextField
              label="Upstream identity provider"
              name="credential_provider"
              values={values}
              errors={errors}
              hint="The provider's slug (its keep_tokens on)."
            />
          </CredentialGroup>
        </fieldset>
        <fieldset class="transport-stdio">
          <legend>stdio command</legend>
          <p class="hint transport-note">Only for the stdio transport.</p>
          <TextField label="Command" name="command" values={values} errors={errors} placeholder="npx" />
          <TextArea label="Arguments" name="args" values={values} errors={errors} hint="One a line." />
          <TextField
            label="Working directory"
            name="cwd"
            values={values}
            errors={errors}
            hint="Optional; an absolute path."
          />
          <SecretField
            label="Environment"
            name="env"
            errors={errors}
            hint={
              envNames.length > 0
                ? `One a line: NAME=value. Leave empty to keep the stored values (${envNames.join(", ")}).`
                : "One a line: NAME=value. Values are write-only."
            }
            multiline
          />
          {envNames.length > 0 ? (
            <Checkbox
              label="Remove the stored environment"
              name="env_clear"
              values={values}
              errors={errors}
            />
          ) : (
            ""
          )}
        </fieldset>
        <fieldset>
          <legend>Access</legend>
          <Checkbox label="Enabled" name="enabled" values={values} errors={errors} />
          <Checkbox label="Authentication required" name="auth_required" values={values} errors={errors} />
          <Checkbox label="Open to every user" name="open_to_all" values={values} errors={errors} />
          <TextField
            label="Scopes"
            name="scopes"
            values={values}
            errors={errors}
            hint="Optional, separated by spaces."
          />
          <TextField
            label="Timeout (ms)"
            name="timeout_ms"
            values={values}
            errors={errors}
            hint="100 to 600000; empty: the default."
          />
        </fieldset>
        <div class="actions">
          <button type="submit">{editing ? "Save changes" : "Add server"}</button>
        </div>
      </form>
    </AdminShell>
  );
}
