import type { FormErrors } from "../../src/admin/pages/servers-form.ts";
import type { McpServer } from "../../src/gateway/types.ts";

export interface ServerGrantView {
  id: string;
  principalType: "user" | "group";
  /** The user's username or the group's name (the id when it is gone). */
  principalName: string;
  allowedTools: string[] | null;
  deniedTools: string[];
}

export interface ServerGrantsProps {
  csrfToken: string;
  server: McpServer;
  grants: ServerGrantView[];
  /** The tools the gateway's catalog holds for the server: offered as choices. */
  toolNames: string[];
  /** The grant form as submitted when it was refused (its problems by field). */
  values: Record<string, string>;
  errors: FormErrors;
}

function toolsText(grant: ServerGrantView): string {
  const allowed =
    grant.allowedTools === null ? "all tools" : `only ${grant.allowedTools.join(", ") || "(none)"}`;
  return grant.deniedTools.length > 0 ? `${allowed}; never ${grant.deniedTools.join(", ")}` : allowed;
}

function Problems({ name, errors }: { name: string; errors: FormErrors }) {
  const list = errors[name] ?? [];
  if (list.length === 0) return "";
  return (
    <span class="field-error" id={`grant-${name}-error`} data-error-for={name}>
      {list.map((message) => (
        <span safe>{message}</span>
      ))}
    </span>
  );
}

/** Checkboxes of the discovered tools (field `{prefix}:{tool}`), and a free-text list for the rest. */
function ToolChoice(props: {
  prefix: "allow_tool" | "deny_tool";
  field: "allowed_tools" | "denied_tools";
  legend: string;
  hint: string;
  toolNames: string[];
  values: Record<string, string>;
  errors: FormErrors;
}) {
  return (
    <fieldset>
      <legend safe>{props.legend}</legend>
      {props.toolNames.length > 0 ? (
        <div class="server-choices">
          {props.toolNames.map((tool) => (
            <label class="choice">
              <input
                type="checkbox"
                name={`${props.prefix}:${tool}`}
                checked={props.values[`${props.prefix}:${tool}`] === "on"}
              />
              <code safe>{tool}</code>
            </label>
          ))}
        </div>
      ) : (
        ""
      )}
      <label>
        <span>{props.toolNames.length > 0 ? "Other tools" : "Tools"}</span>
        <textarea name={props.field} rows="2" spellcheck="false" safe>
          {props.values[props.field] ?? ""}
        </textarea>
        <span class="hint" safe>
          {props.hint}
        </span>
        <Problems name={props.field} errors={props.errors} />
      </label>
    </fieldset>
  );
}

/** The server's grants to users and groups, each deletable, and the form that adds one. */
export function ServerGrants(props: ServerGrantsProps) {
  const { csrfToken, server, grants, values, errors } = props;
  const base = `/admin/servers/${encodeURIComponent(server.id)}/grants`;
  return (
    <section class="card" aria-labelledby="grants">
      <h2 id="grants">Grants</h2>
      <p class="hint">
        {server.openToAll
          ? "The server is open to every user; grants still narrow the tools of the people they name."
          : "Only administrators and the users and groups granted here may use the server."}
      </p>
      {grants.length === 0 ? (
        <p class="muted">No grants.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Granted to</th>
              <th scope="col">Tools</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            {grants.map((grant) => (
              <tr data-grant={grant.id}>
                <td>
                  <span
                    safe
                  >{`${grant.principalType === "user" ? "User" : "Group"} ${grant.principalName}`}</span>
                </td>
                <td safe>{toolsText(grant)}</td>
                <td>
                  <form
                    class="inline"
                    method="post"
                    action={`${base}/${encodeURIComponent(grant.id)}/delete`}
                  >
                    <input type="hidden" name="_csrf" value={csrfToken} />
                    <button type="submit" class="secondary danger">
                      Delete grant
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action={base} class="stack" id="add-grant">
        <h3>Add a grant</h3>
        <input type="hidden" name="_csrf" value={csrfToken} />
        <label>
          <span>Grant to</span>
          <select name="principal_type">
            <option value="user" selected={values.principal_type !== "group"}>
              A user
            </option>
            <option value="group" selected={values.principal_type === "group"}>
              A group
            </option>
          </select>
        </label>
        <label>
          <span>Username or group name</span>
          <input
            type="text"
            name="principal"
            value={values.principal ?? ""}
            required
            {...((errors.principal?.length ?? 0) > 0
              ? { "aria-invalid": "true", "aria-describedby": "grant-principal-error" }
              : {})}
          />
          <Problems name="principal" errors={errors} />
        </label>
        <ToolChoice
          prefix="allow_tool"
          field="allowed_tools"
          legend="Only these tools"
          hint="One a line (or separated by commas). Nothing chosen: every tool."
          toolNames={props.toolNames}
          values={values}
          errors={errors}
        />
        <ToolChoice
          prefix="deny_tool"
          field="denied_tools"
          legend="Never these tools"
          hint="One a line (or separated by commas)."
          toolNames={props.toolNames}
          values={values}
          errors={errors}
        />
        {props.toolNames.length === 0 ? (
          <p class="hint">
            The server's tools are not listed yet (reload once they show above): type the tool names.
          </p>
        ) : (
          ""
        )}
        <Problems name="form" errors={errors} />
        <div class="actions">
          <button type="submit">Add grant</button>
        </div>
      </form>
    </section>
  );
}
