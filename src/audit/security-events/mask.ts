/** What a masked secret reads as in the security log. */
export const MASKED = "********";

/** Keys whose (text) value is a secret wherever they appear. */
const SECRET_KEY =
  /^(password|new_password|current_password|secret|client_secret|token|access_token|refresh_token|id_token|code|code_verifier|api_key|apikey|authorization|cookie|set_cookie|value|credential_value|private_key)$|(password|secret)$/i;
/** Keys whose whole content is secret values under names: stdio `env`, static credential `headers`. */
const SECRET_MAP_KEY = /^(env|headers|environment)$/i;

function maskAll(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "number")
    return value;
  if (Array.isArray(value)) return value.map(maskAll);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  }
  return MASKED;
}

/**
 * A copy of an admin API body or view with secrets masked: passwords, client secrets, tokens,
 * backend credentials (bearer token, header values, client secret) and stdio env values become
 * "********"; names, flags, numbers and null stay, so before → after still shows what changed.
 */
export function maskSecrets(value: unknown): unknown {
  if (value === null || value === undefined || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(maskSecrets);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_MAP_KEY.test(key)) out[key] = maskAll(v);
    else if (SECRET_KEY.test(key) && (typeof v === "string" || (typeof v === "object" && v !== null)))
      out[key] = maskAll(v);
    else out[key] = maskSecrets(v);
  }
  return out;
}
