/** Longest token name kept (a label for the person, shown in lists). */
export const TOKEN_NAME_MAX_LENGTH = 100;

/** Expiry choices offered in the form, in days (those above the maximum lifetime are left out). */
export const EXPIRY_CHOICES_DAYS = [7, 30, 90, 365] as const;

/** The `name` of a server's checkbox in the form: one field per server (forms may not repeat a field). */
export function serverField(server: string): string {
  return `server:${server}`;
}

export interface TokenRequest {
  name: string;
  /** null: every server the user may use, and `/mcp`. */
  servers: string[] | null;
  /** Days until it expires; 0: never (only when the maximum lifetime is 0). */
  expiresInDays: number;
}

/** What a person typed, sent back into the form when it has problems. */
export interface TokenFormValues {
  name: string;
  scope: "all" | "selected";
  servers: string[];
  expiresInDays: string;
}

export type TokenFormResult =
  | { ok: true; value: TokenRequest }
  | { ok: false; errors: string[]; values: TokenFormValues };

/**
 * Reads the "new token" form: a name (printable, at most TOKEN_NAME_MAX_LENGTH characters), every
 * server or some of those the person may use (`usable`), and an expiry in whole days within the
 * maximum lifetime. Anything else is an error message for the form, never an exception.
 */
export function readTokenForm(
  fields: Record<string, string>,
  usable: readonly string[],
  maxLifetimeDays: number,
): TokenFormResult {
  const errors: string[] = [];
  const name = (fields.name ?? "").trim();
  if (name.length === 0) errors.push("Name: enter a name that tells you where the token is used.");
  else if (name.length > TOKEN_NAME_MAX_LENGTH)
    errors.push(`Name: at most ${TOKEN_NAME_MAX_LENGTH} characters.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  else if (/[\u0000-\u001f\u007f]/.test(name)) errors.push("Name: no control characters.");

  const scope = fields.scope === "selected" ? "selected" : "all";
  if (fields.scope !== undefined && fields.scope !== "all" && fields.scope !== "selected")
    errors.push("Servers: choose all servers or some of them.");
  const chosen: string[] = [];
  for (const key of Object.keys(fields)) {
    if (!key.startsWith("server:")) continue;
    const server = key.slice("server:".length);
    if (usable.includes(server)) chosen.push(server);
    else errors.push("Servers: a chosen server is not one you may use.");
  }
  if (scope === "selected" && chosen.length === 0 && errors.length === 0)
    errors.push("Servers: choose at least one server, or all servers.");

  const days = fields.expires_in_days ?? "";
  let expiresInDays = Number.NaN;
  if (/^\d{1,5}$/.test(days)) expiresInDays = Number(days);
  const never = expiresInDays === 0;
  if (Number.isNaN(expiresInDays) || (never && maxLifetimeDays !== 0)) {
    errors.push("Expiry: choose one of the offered lifetimes.");
  } else if (maxLifetimeDays !== 0 && expiresInDays > maxLifetimeDays) {
    errors.push(`Expiry: at most ${maxLifetimeDays} days.`);
  }

  if (errors.length > 0) {
    return {
      ok: false,
      errors: [...new Set(errors)],
      values: {
        name: name.slice(0, TOKEN_NAME_MAX_LENGTH),
        scope,
        servers: chosen,
        expiresInDays: days.slice(0, 5),
      },
    };
  }
  return { ok: true, value: { name, servers: scope === "all" ? null : chosen.sort(), expiresInDays } };
}
