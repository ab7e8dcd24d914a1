import { jsonError } from "../http/errors.ts";
import type { ClientAuthResult } from "./clients.ts";

export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

export function tokenError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
) {
  return jsonError(status, error, description, { Pragma: "no-cache", ...headers });
}

export function clientAuthError(result: Extract<ClientAuthResult, { ok: false }>): Response {
  const headers: Record<string, string> = result.basic
    ? { "WWW-Authenticate": 'Basic realm="authmcp-gateway"' }
    : {};
  return tokenError(result.status, result.error, result.description, headers);
}
