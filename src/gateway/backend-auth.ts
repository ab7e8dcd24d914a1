import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { ServerRegistry } from "./registry.ts";
import type { BackendCredential } from "./types.ts";
import type { BackendAddressGuard } from "./url-guard.ts";

interface CachedToken {
  token: string;
  /** `Authorization: Bearer …`, built once per token. */
  headers: Record<string, string>;
  /** Unix ms; Infinity when the token endpoint gave no expires_in. */
  expiresAt: number;
}

/** How a server's client-credentials token fetches went, for the admin's backend-tokens page. */
export interface TokenFetchRecord {
  /** Unix ms of the last token fetched. */
  lastRefreshAt?: number;
  /** The last fetch that failed (after its retries): the error as the token endpoint gave it, no secret. */
  lastError?: { message: string; at: number };
  /** Whether the latest fetch is the one that failed. */
  failing: boolean;
}

/**
 * The person has no usable upstream token for an `upstream_user_token` backend (never signed in
 * with the provider, or its refresh token was refused upstream): the call fails and tells them
 * where to sign in again.
 */
export class SignInAgain extends Error {
  constructor(
    readonly provider: string,
    readonly loginUrl: string,
    readonly reason: string,
  ) {
    super(`Sign in again with ${provider} at ${loginUrl}: this server acts with your own account there.`);
  }
}

/** Where `upstream_user_token` credentials come from (src/identity/upstream/user-tokens.ts). */
export interface UserTokenSource {
  /** The person's current upstream access token, refreshed when due; throws SignInAgain. */
  accessToken(userId: string, provider: string, serverName: string): Promise<string>;
  /** A backend refused the person's token: the next use refreshes it first (or asks to sign in again). */
  refused(userId: string, provider: string): Promise<void>;
}

export interface BackendAuthOptions {
  refreshMarginMs: number;
  retries: number;
  backoffMs: number;
  /** Time allowed for one token request. */
  timeoutMs: number;
  /** Checks the token URL's addresses before each fetch. */
  addressGuard: BackendAddressGuard;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The headers a backend receives as the gateway's own credential. Client-credentials tokens are
 * fetched on first use, cached in memory, and fetched again when they come within the margin
 * of their expiry (with retries and exponential backoff). Concurrent requests share one fetch.
 */
export class BackendAuth {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  /** Headers of static credentials (none, headers, bearer), once decrypted. */
  private readonly fixed = new Map<string, Record<string, string>>();
  private readonly fetches = new Map<string, TokenFetchRecord>();
  private userTokens: UserTokenSource | undefined;

  constructor(
    private readonly registry: ServerRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: BackendAuthOptions,
  ) {
    registry.onChange((id) => {
      this.tokens.delete(id);
      this.inflight.delete(id);
      this.fixed.delete(id);
      this.fetches.delete(id);
    });
  }

  /**
   * The headers when they are at hand without I/O (the hot path): a decrypted static credential,
   * or a client-credentials token not yet due for refresh. Undefined otherwise: call `headers`.
   */
  ready(serverId: string): Record<string, string> | undefined {
    const fixed = this.fixed.get(serverId);
    if (fixed) return fixed;
    const cached = this.tokens.get(serverId);
    return cached && cached.expiresAt - this.options.refreshMarginMs > this.clock.now()
      ? cached.headers
      : undefined;
  }

  /** Set by the upstream identity module when the app is composed. */
  useUserTokens(source: UserTokenSource): void {
    this.userTokens = source;
  }

  /**
   * `userId`: the person the request acts for (an `upstream_user_token` backend gets their own
   * upstream token; without a person, e.g. a health check, it gets no credential).
   */
  async headers(serverId: string, userId?: string): Promise<Record<string, string>> {
    const pending = this.registry.credential(serverId);
    const credential = await pending;
    // Kept only if the server did not change meanwhile (its credential would be a new promise).
    const keep = (headers: Record<string, string>) => {
      if (this.registry.credential(serverId) === pending) this.fixed.set(serverId, headers);
      return headers;
    };
    switch (credential.kind) {
      case "none":
        return keep({});
      case "headers":
        return keep(credential.headers);
      case "bearer":
        return keep({ Authorization: `Bearer ${credential.token}` });
      case "client_credentials":
        return this.ready(serverId) ?? (await this.refresh(serverId)).headers;
      case "upstream_user_token": {
        if (userId === undefined) return {};
        if (!this.userTokens) throw new Error("upstream identity providers are not available");
        const name = this.registry.byId(serverId)?.name ?? serverId;
        const token = await this.userTokens.accessToken(userId, credential.provider, name);
        return { Authorization: `Bearer ${token}` };
      }
    }
  }

  /** Fetches a fresh client-credentials token now (the admin API's refresh-token). */
  refresh(serverId: string): Promise<CachedToken> {
    let pending = this.inflight.get(serverId);
    if (!pending) {
      pending = this.fetchWithRetry(serverId).finally(() => this.inflight.delete(serverId));
      this.inflight.set(serverId, pending);
    }
    return pending;
  }

  /** Forgets a cached client-credentials token (the backend refused it): the next request fetches anew. */
  invalidate(serverId: string): void {
    this.tokens.delete(serverId);
  }

  /** The backend refused the person's upstream token (`upstream_user_token`): it is not used again as it is. */
  async userTokenRefused(serverId: string, userId: string): Promise<void> {
    const credential = await this.registry.credential(serverId);
    if (credential.kind === "upstream_user_token")
      await this.userTokens?.refused(userId, credential.provider);
  }

  /** Expiry of the cached token, for the admin API; undefined when none is cached. */
  tokenExpiry(serverId: string): number | undefined {
    return this.tokens.get(serverId)?.expiresAt;
  }

  /** The last token fetched and the last failure, for the admin; undefined before the first fetch. */
  fetchRecord(serverId: string): TokenFetchRecord | undefined {
    return this.fetches.get(serverId);
  }

  private async fetchWithRetry(serverId: string): Promise<CachedToken> {
    const credential = await this.registry.credential(serverId);
    if (credential.kind !== "client_credentials")
      throw new Error("the server has no client-credentials credential");
    const sleep = this.options.sleep ?? ((ms: number) => Bun.sleep(ms));
    let lastError: unknown;
    for (let attempt = 0; attempt < this.options.retries; attempt++) {
      if (attempt > 0) await sleep(this.options.backoffMs * 2 ** (attempt - 1));
      try {
        const token = await this.fetchToken(credential);
        this.tokens.set(serverId, token);
        this.fetches.set(serverId, {
          ...this.fetches.get(serverId),
          lastRefreshAt: this.clock.now(),
          failing: false,
        });
        return token;
      } catch (error) {
        lastError = error;
        this.logger.warn(
          {
            serverId,
            attempt: attempt + 1,
            err: withoutSecret(error instanceof Error ? error.message : String(error), credential),
          },
          "backend token fetch failed",
        );
      }
    }
    const failure = new Error(
      withoutSecret(
        lastError instanceof Error ? lastError.message : "backend token fetch failed",
        credential,
      ),
    );
    this.fetches.set(serverId, {
      ...this.fetches.get(serverId),
      lastError: { message: failure.message, at: this.clock.now() },
      failing: true,
    });
    throw failure;
  }

  private async fetchToken(
    credential: Extract<BackendCredential, { kind: "client_credentials" }>,
  ): Promise<CachedToken> {
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    if (credential.scope) body.set("scope", credential.scope);
    const basic = basicCredentials(credential);
    const address = await this.options.addressGuard.verdict(credential.tokenUrl);
    if (address.problem !== undefined) throw new Error(`token endpoint address refused: ${address.problem}`);
    const response = await fetch(credential.tokenUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        Authorization: `Basic ${basic}`,
      },
      body,
      // Never followed: the client secret would go along to wherever the redirect points.
      redirect: "manual",
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {});
      throw new Error(
        `token endpoint answered ${response.status} with a redirect; redirects are not followed: fix the token URL`,
      );
    }
    if (!response.ok)
      throw new Error(`token endpoint answered ${response.status}${await oauthError(response)}`);
    const json = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== "string" || json.access_token.length === 0) {
      throw new Error("token endpoint answered without access_token");
    }
    const expiresIn =
      typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in : undefined;
    return {
      token: json.access_token,
      headers: { Authorization: `Bearer ${json.access_token}` },
      expiresAt: expiresIn === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + expiresIn * 1000,
    };
  }
}

/** RFC 6749 §5.2's characters for `error` and `error_description`: printable ASCII without `"` and `\\`. */
const OAUTH_ERROR_TEXT = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The token endpoint's own words for a refusal (RFC 6749 §5.2), e.g. `: invalid_client (bad
 * secret)`, so the admin sees why; empty when the body is no such error object. Text outside the
 * RFC's character set is left out rather than shown.
 */
async function oauthError(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: unknown; error_description?: unknown }
    | undefined;
  const text = (value: unknown) =>
    typeof value === "string" && OAUTH_ERROR_TEXT.test(value) ? value : undefined;
  const error = text(body?.error);
  if (error === undefined) return "";
  const description = text(body?.error_description);
  return description === undefined ? `: ${error}` : `: ${error} (${description})`;
}

/**
 * A message that a token endpoint could have built from what it was sent: the client secret never
 * shows, neither as sent in the Basic header (URL-encoded, then base64) nor as it is.
 */
function withoutSecret(
  message: string,
  credential: Extract<BackendCredential, { kind: "client_credentials" }>,
): string {
  const secret = credential.clientSecret;
  if (secret.length === 0) return message;
  const encoded = encodeURIComponent(secret);
  const basic = basicCredentials(credential);
  return [basic, encoded, secret].reduce((text, form) => text.replaceAll(form, "********"), message);
}

/** The value of the token request's `Authorization: Basic …` (RFC 6749 §2.3.1). */
function basicCredentials(credential: Extract<BackendCredential, { kind: "client_credentials" }>): string {
  return Buffer.from(
    `${encodeURIComponent(credential.clientId)}:${encodeURIComponent(credential.clientSecret)}`,
  ).toString("base64");
}
