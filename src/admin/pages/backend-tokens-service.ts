import type { AppContext } from "../../context.ts";
import type { BackendAuth } from "../../gateway/backend-auth.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { CredentialKind, McpServer } from "../../gateway/types.ts";

/**
 * Where a server's backend credential stands:
 * - `ok`: a client-credentials token is held and not expired;
 * - `expired`: the token held is past its expiry (the next request fetches a new one);
 * - `refresh_failed`: the last fetch failed after its retries (a token may still be held);
 * - `not_fetched`: no token held yet (fetched on first use) or it was dropped after a refusal;
 * - `static`: a fixed header or bearer token, sent as configured and never refreshed;
 * - `per_user`: each person's own upstream token (refreshed per person when they use it);
 * - `not_applicable`: no credential at all.
 */
export type BackendTokenStatus =
  | "ok"
  | "expired"
  | "refresh_failed"
  | "not_fetched"
  | "static"
  | "per_user"
  | "not_applicable";

/** One server's row of the backend-tokens page and API: never a secret value. */
export interface BackendTokenState {
  server: McpServer;
  kind: CredentialKind;
  status: BackendTokenStatus;
  /** Only client-credentials tokens are fetched by the gateway itself, so only they refresh on demand. */
  refreshable: boolean;
  /** Unix ms; undefined without a token held or when the endpoint gave no expiry. */
  expiresAt?: number;
  lastRefreshAt?: number;
  lastError?: { message: string; at: number };
}

export function backendTokenState(
  server: McpServer,
  backendAuth: BackendAuth,
  now: number,
): BackendTokenState {
  const kind = server.credentialKind;
  const base = { server, kind, refreshable: kind === "client_credentials" };
  switch (kind) {
    case "none":
      return { ...base, status: "not_applicable" };
    case "headers":
    case "bearer":
      return { ...base, status: "static" };
    case "upstream_user_token":
      return { ...base, status: "per_user" };
    case "client_credentials":
      break;
  }
  const record = backendAuth.fetchRecord(server.id);
  const held = backendAuth.tokenExpiry(server.id);
  const lastError = record?.lastError;
  const status: BackendTokenStatus = record?.failing
    ? "refresh_failed"
    : held === undefined
      ? "not_fetched"
      : held <= now
        ? "expired"
        : "ok";
  return {
    ...base,
    status,
    ...(held !== undefined && Number.isFinite(held) ? { expiresAt: held } : {}),
    ...(record?.lastRefreshAt !== undefined ? { lastRefreshAt: record.lastRefreshAt } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
  };
}

/** The state as the JSON admin API shows it (snake_case, times in Unix ms, null when absent). */
export function backendTokenJson(state: BackendTokenState) {
  return {
    server_id: state.server.id,
    name: state.server.name,
    credential_type: state.kind,
    status: state.status,
    refreshable: state.refreshable,
    expires_at: state.expiresAt ?? null,
    last_refresh_at: state.lastRefreshAt ?? null,
    last_error: state.lastError ? { message: state.lastError.message, at: state.lastError.at } : null,
  };
}

/**
 * The longest a "Refresh now" can take on the server: every attempt's timeout plus the backoffs
 * between them, from the same settings the refresh runs with. The page's htmx request waits this
 * long plus a little before it gives up and says so.
 */
export function refreshDeadlineMs(config: {
  backendTokenRetries: number;
  backendTokenTimeoutMs: number;
  backendTokenBackoffMs: number;
}): number {
  const {
    backendTokenRetries: retries,
    backendTokenTimeoutMs: timeout,
    backendTokenBackoffMs: backoff,
  } = config;
  // Backoffs: backoff · (1 + 2 + … + 2^(retries-2)) = backoff · (2^(retries-1) - 1).
  return retries * timeout + backoff * (2 ** (retries - 1) - 1);
}

/** What a refresh came to: the new state, or why there is none. */
export type RefreshOutcome =
  | { ok: true; state: BackendTokenState }
  | { ok: false; status: 404 | 409 | 502; error: string; message: string };

/**
 * Fetches a new client-credentials token for `id` now (shared by the page and the API): 404 for an
 * unknown server, 409 for a credential the gateway does not fetch itself (none, static, a person's
 * own upstream token), 502 with the token endpoint's error when it issues none.
 */
export async function refreshBackendToken(
  ctx: AppContext,
  gateway: Gateway,
  id: string,
): Promise<RefreshOutcome> {
  const server = gateway.registry.byId(id);
  if (!server) return { ok: false, status: 404, error: "not_found", message: "no such server" };
  if (server.credentialKind !== "client_credentials") {
    return {
      ok: false,
      status: 409,
      error: "not_refreshable",
      message: `credential: a ${server.credentialKind} credential is not fetched by the gateway, so it cannot be refreshed (only client_credentials can)`,
    };
  }
  try {
    await gateway.backendAuth.refresh(server.id);
  } catch (error) {
    // The message is the token endpoint's (status, OAuth error), with the client secret masked.
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, status: 502, error: "token_fetch_failed", message };
  }
  return { ok: true, state: backendTokenState(server, gateway.backendAuth, ctx.clock.now()) };
}
