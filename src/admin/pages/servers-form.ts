import type { z } from "zod";
import type { McpServer } from "../../gateway/types.ts";
import type { FieldProblem } from "../server-input.ts";

/** Problems of a submitted server form, by the form field they belong next to ("form": the whole form). */
export type FormErrors = Record<string, string[]>;

/** The credential kinds a form offers; "keep" (edit only) leaves the stored credential as it is. */
export const CREDENTIAL_CHOICES = [
  "none",
  "bearer",
  "headers",
  "client_credentials",
  "upstream_user_token",
] as const;

/** Credential fields whose values are never rendered back, not even after a failed submit. */
export const SECRET_FIELDS = [
  "credential_token",
  "credential_headers",
  "credential_client_secret",
  "env",
] as const;

/** The fields of the credential object of the JSON API, each a form field `credential_{name}`. */
const CREDENTIAL_FIELDS = new Set([
  "token",
  "headers",
  "token_url",
  "client_id",
  "client_secret",
  "scope",
  "provider",
]);

/** The form's fields as a page re-renders them: secrets dropped. */
export function keptValues(fields: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!(SECRET_FIELDS as readonly string[]).includes(name)) kept[name] = value;
  }
  return kept;
}

/** A server's current settings as the edit form starts with them (no credential, no env values). */
export function serverValues(server: McpServer): Record<string, string> {
  const values: Record<string, string> = {
    name: server.name,
    display_name: server.displayName,
    transport: server.transport,
    url: server.transport === "stdio" ? "" : server.url,
    command: server.stdio?.command ?? "",
    args: server.stdio?.args.join("\n") ?? "",
    cwd: server.stdio?.cwd ?? "",
    scopes: server.scopes.join(" "),
    timeout_ms: String(server.timeoutMs),
    user_context: server.userContext,
    credential_type: server.credentialKind === "none" ? "none" : "keep",
  };
  if (server.authRequired) values.auth_required = "on";
  if (server.enabled) values.enabled = "on";
  if (server.openToAll) values.open_to_all = "on";
  return values;
}

/** What a new server's form starts with. */
export const NEW_SERVER_VALUES: Record<string, string> = {
  transport: "streamable-http",
  user_context: "none",
  credential_type: "none",
  auth_required: "on",
  enabled: "on",
};

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false; errors: FormErrors };

/**
 * The JSON API's body from a server form, for `createServerSchema` (a new server) or
 * `patchServerSchema` (an edit): the fields of the chosen transport only (a page without script
 * shows all of them), checkboxes as booleans, lists one item a line. Only what text cannot be is
 * refused here (a header line without a colon); everything else is the schema's to judge.
 */
export function formToServerBody(fields: Record<string, string>, editing: boolean): Parsed {
  const errors: FormErrors = {};
  const text = (name: string) => (fields[name] ?? "").trim();
  const optional = (name: string) => (text(name) === "" ? undefined : text(name));
  const transport = text("transport") || "streamable-http";
  const body: Record<string, unknown> = {
    name: text("name"),
    display_name: optional("display_name"),
    transport,
    auth_required: fields.auth_required === "on",
    enabled: fields.enabled === "on",
    open_to_all: fields.open_to_all === "on",
    user_context: optional("user_context"),
    scopes: text("scopes") === "" ? [] : text("scopes").split(/\s+/),
    timeout_ms: wholeNumber(text("timeout_ms")),
  };
  if (transport === "stdio") {
    body.command = editing ? text("command") : optional("command");
    body.args = lines(fields.args ?? "");
    body.cwd = optional("cwd");
    const env = pairs(fields.env ?? "", "=");
    if (typeof env === "string") errors.env = [env];
    else if (Object.keys(env).length > 0 || fields.env_clear === "on") body.env = env;
  } else {
    body.url = editing ? text("url") : optional("url");
  }
  // A stdio server takes neither (no HTTP request to carry them): a server moved to stdio drops its credential.
  const credential = transport === "stdio" ? { type: "none" } : credentialBody(fields);
  if (transport === "stdio") body.user_context = "none";
  if (typeof credential === "string") errors.credential_headers = [credential];
  else if (credential !== undefined) body.credential = credential;
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

function credentialBody(fields: Record<string, string>): Record<string, unknown> | string | undefined {
  const type = fields.credential_type ?? "none";
  const value = (name: string) => fields[`credential_${name}`] ?? "";
  switch (type) {
    case "keep":
      return undefined;
    case "bearer":
      return { type, token: value("token").trim() };
    case "headers": {
      const headers = pairs(value("headers"), ":");
      return typeof headers === "string" ? headers : { type, headers };
    }
    case "client_credentials":
      return {
        type,
        token_url: value("token_url").trim(),
        client_id: value("client_id").trim(),
        client_secret: value("client_secret"),
        scope: value("scope").trim() === "" ? undefined : value("scope").trim(),
      };
    case "upstream_user_token":
      return { type, provider: value("provider").trim() };
    default:
      // "none", or anything else: the schema names an unknown type.
      return { type };
  }
}

/** "120" → 120; empty → undefined; anything else stays text for the schema to refuse. */
function wholeNumber(value: string): number | string | undefined {
  if (value === "") return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : value;
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** "Name: value" (or NAME=value) lines as a record; the problem as text when a line has no separator. */
function pairs(value: string, separator: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const [index, line] of lines(value).entries()) {
    const at = line.indexOf(separator);
    if (at <= 0) return `line ${index + 1}: expected name${separator === ":" ? ": " : "="}value`;
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

/** The form field a problem named by the JSON API's path belongs next to. */
export function formField(path: readonly PropertyKey[]): string {
  const [first, second] = path;
  if (first === "credential") {
    return typeof second === "string" && CREDENTIAL_FIELDS.has(second)
      ? `credential_${second}`
      : "credential_type";
  }
  return typeof first === "string" && first !== "" ? first : "form";
}

/** zod's problems, by form field. */
export function schemaErrors(error: z.ZodError): FormErrors {
  const errors: FormErrors = {};
  for (const issue of error.issues) addError(errors, formField(issue.path), issue.message);
  return errors;
}

/** A shared check's or the registry's problem ("credential.token_url": …), by form field. */
export function problemErrors(problem: FieldProblem): FormErrors {
  const errors: FormErrors = {};
  addError(errors, formField(problem.field === "" ? [] : problem.field.split(".")), problem.message);
  return errors;
}

function addError(errors: FormErrors, field: string, message: string): void {
  const list = errors[field] ?? [];
  list.push(message);
  errors[field] = list;
}
