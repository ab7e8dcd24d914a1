import { RUNTIME_SETTING_GROUPS } from "../../src/config/runtime/editable.ts";
import type { RuntimeSettingView } from "../../src/config/runtime/service.ts";
import type { SigningKeyInfo } from "../../src/oauth/keys.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

export interface SettingsPageProps {
  username: string;
  csrfToken: string;
  settings: RuntimeSettingView[];
  /** What the fields show: the values in force, or what was submitted. */
  values: Record<string, string>;
  /** Problems by setting key (shown next to the field); "" for the form as a whole. */
  errors: Record<string, string>;
  keys: SigningKeyInfo[];
  algorithm: string;
  notice?: string;
}

function sourceText(setting: RuntimeSettingView): string {
  if (setting.source === "admin") return "changed here";
  if (setting.source === "default") return "default";
  return setting.sourcePath ? `${setting.source} ${setting.sourcePath}` : setting.source;
}

function SettingInput({
  setting,
  value,
  error,
}: {
  setting: RuntimeSettingView;
  value: string;
  error?: string;
}) {
  const id = `setting-${setting.key}`;
  const aria = error ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {};
  const kind = setting.kind;
  if (kind.type === "bool" || kind.type === "oneOf") {
    const options = kind.type === "bool" ? ["true", "false"] : kind.values;
    return (
      <select id={id} name={setting.key} {...aria}>
        {options.map((option) => (
          <option value={option} selected={option === value} safe>
            {option}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      id={id}
      name={setting.key}
      type="number"
      inputmode="numeric"
      min={String(kind.min)}
      max={String(kind.max)}
      value={value}
      {...aria}
    />
  );
}

function SettingRow({
  setting,
  value,
  error,
}: {
  setting: RuntimeSettingView;
  value: string;
  error?: string;
}) {
  return (
    <tr data-setting={setting.key} data-source={setting.source}>
      <th scope="row">
        <label for={`setting-${setting.key}`}>
          <code safe>{setting.env}</code>
        </label>
        <span class="hint" safe>
          {setting.description}
        </span>
      </th>
      <td>
        {setting.editable ? (
          <SettingInput setting={setting} value={value} error={error} />
        ) : (
          <output class="setting-fixed" safe>
            {String(setting.value)}
          </output>
        )}
        {error ? (
          <span class="field-error" id={`setting-${setting.key}-error`} data-error-for={setting.key} safe>
            {error}
          </span>
        ) : (
          ""
        )}
      </td>
      <td safe>{String(setting.default)}</td>
      <td class="setting-source">
        <span safe>{sourceText(setting)}</span>
        {setting.editable ? "" : <span class="hint"> (read-only: change it there and restart)</span>}
      </td>
    </tr>
  );
}

function SigningKeys({
  keys,
  algorithm,
  csrfToken,
}: {
  keys: SigningKeyInfo[];
  algorithm: string;
  csrfToken: string;
}) {
  return (
    <section aria-labelledby="signing-keys">
      <h2 id="signing-keys">Signing keys</h2>
      <p class="hint">
        Access tokens are signed with the active key. After a rotation new tokens carry the new key id at
        once; tokens of the retired key keep verifying, and its public key stays in{" "}
        <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>, until they have expired.
      </p>
      <div class="table-wrap">
        <table class="list signing-keys">
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Created</th>
              <th scope="col">Retired</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr data-kid={key.kid}>
                <td>
                  <code safe>{key.kid}</code>
                </td>
                <td>{key.alg}</td>
                <td>{key.createdAt !== undefined ? when(key.createdAt) : "—"}</td>
                <td>{key.retiredAt !== undefined ? when(key.retiredAt) : "—"}</td>
                <td>{key.active ? "active" : key.verifying ? "retired, still verifying" : "retired"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {algorithm === "HS256" ? (
        <p class="hint">
          JWT_ALGORITHM is HS256: one shared secret signs and verifies, so it cannot be rotated here without
          invalidating every token at once. Change JWT_SECRET_KEY and restart, or use ES256 or RS256.
        </p>
      ) : (
        <form method="post" action="/admin/settings/rotate-key" class="inline">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit">Rotate signing key</button>
        </form>
      )}
    </section>
  );
}

/** `/admin/settings`: the runtime settings by group, editable ones in one form, and the signing keys. */
export function SettingsPage(props: SettingsPageProps) {
  const { settings, values, errors } = props;
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const formErrors = errors[""] ? [errors[""]] : [];
  return (
    <AdminShell
      title="Settings"
      current="/admin/settings"
      username={props.username}
      csrfToken={props.csrfToken}
    >
      <p class="hint">
        Changes apply from the next request, without a restart, and are kept in the database. A setting given
        in the environment, an env file, the config file or on the command line is read-only here.
      </p>
      {props.notice !== undefined ? (
        <p class="notice" role="status" safe>
          {props.notice}
        </p>
      ) : (
        ""
      )}
      <FormErrors errors={formErrors} />
      <form method="post" action="/admin/settings" class="settings-form">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        {RUNTIME_SETTING_GROUPS.map((group) => (
          <fieldset>
            <legend>{group.title}</legend>
            <div class="table-wrap">
              <table class="list settings">
                <thead>
                  <tr>
                    <th scope="col">Setting</th>
                    <th scope="col">Value</th>
                    <th scope="col">Default</th>
                    <th scope="col">Source</th>
                  </tr>
                </thead>
                <tbody>
                  {group.keys.map((key) => {
                    const setting = byKey.get(key);
                    return setting ? (
                      <SettingRow setting={setting} value={values[key] ?? ""} error={errors[key]} />
                    ) : (
                      ""
                    );
                  })}
                </tbody>
              </table>
            </div>
          </fieldset>
        ))}
        <button type="submit">Save settings</button>
      </form>
      <SigningKeys keys={props.keys} algorithm={props.algorithm} csrfToken={props.csrfToken} />
    </AdminShell>
  );
}
