import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { isLoopbackHost } from "../../config/load.ts";
import type {
  AuthorizationSecrets,
  UpstreamLoginError as LoginError,
  UpstreamClient,
  UpstreamProfile,
  UpstreamProvider,
  UpstreamSignIn,
  UpstreamTokenSet,
} from "./types.ts";
import { UpstreamLoginError, UpstreamRefreshRefused } from "./types.ts";

export interface OidcClientOptions {
  /** The gateway's clock (tests use a fake one): ID token times are checked against it. */
  now: () => number;
  clockToleranceSeconds: number;
  httpTimeoutMs: number;
  /** UPSTREAM_JWKS_COOLDOWN_SECONDS, in milliseconds. */
  jwksCooldownMs: number;
  /** ALLOW_INSECURE_HTTP: an http issuer off loopback is accepted only then. */
  allowInsecureHttp: boolean;
}

/**
 * The OpenID Connect relying party for one provider, on oauth4webapi (discovery, authorization
 * response incl. RFC 9207 `iss`, code grant with PKCE, ID token claims: iss, aud, azp, exp, iat,
 * nonce) plus jose for the ID token's signature. oauth4webapi deliberately skips the signature of
 * an ID token that came over TLS from the token endpoint (OIDC Core 3.1.3.7 allows it); the
 * gateway checks it anyway against the provider's JWKS, with the configured algorithms only, so
 * a token endpoint that is not what discovery said cannot slip a forged identity in. jose's remote
 * key set refetches the JWKS when a token names an unknown `kid` (key rotation).
 */
export class OidcClient implements UpstreamClient {
  private discovery: Promise<oauth.AuthorizationServer> | undefined;
  private keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly client: oauth.Client;
  private readonly clientAuth: oauth.ClientAuth;
  private readonly insecure: boolean;

  constructor(
    readonly provider: UpstreamProvider,
    private readonly endpoints: { issuer: string; emailVerifiedClaim: string; scopes: string[] },
    private readonly options: OidcClientOptions,
  ) {
    const issuer = new URL(endpoints.issuer);
    this.insecure =
      issuer.protocol === "http:" && (isLoopbackHost(issuer.hostname) || options.allowInsecureHttp);
    this.client = {
      client_id: provider.fields.client_id,
      [oauth.clockTolerance]: options.clockToleranceSeconds,
    };
    this.clientAuth = provider.clientSecret ? oauth.ClientSecretBasic(provider.clientSecret) : oauth.None();
  }

  private http<M extends string>() {
    const timeout = this.options.httpTimeoutMs;
    return {
      signal: () => AbortSignal.timeout(timeout),
      [oauth.allowInsecureRequests]: this.insecure,
    } satisfies oauth.HttpRequestOptions<M>;
  }

  /** The provider's discovery document, fetched once (a failed fetch is tried again next time). */
  metadata(): Promise<oauth.AuthorizationServer> {
    this.discovery ??= (async () => {
      const issuer = new URL(this.endpoints.issuer);
      const response = await oauth.discoveryRequest(issuer, { ...this.http<"GET">(), algorithm: "oidc" });
      return oauth.processDiscoveryResponse(issuer, response);
    })();
    this.discovery.catch(() => {
      this.discovery = undefined;
    });
    return this.discovery;
  }

  /** Fresh state, nonce and PKCE verifier, and the URL that sends the person to the provider. */
  async start(redirectUri: string): Promise<{ url: URL; secrets: AuthorizationSecrets }> {
    const as = await this.metadata().catch((error) => {
      throw new UpstreamLoginError(
        "discovery_failed",
        `The identity provider could not be reached (${describe(error)}).`,
        502,
      );
    });
    if (!as.authorization_endpoint)
      throw new UpstreamLoginError(
        "discovery_failed",
        "The identity provider has no authorization endpoint.",
        502,
      );
    const secrets: AuthorizationSecrets = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
      redirectUri,
    };
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set("client_id", this.provider.fields.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", this.endpoints.scopes.join(" "));
    url.searchParams.set("state", secrets.state);
    url.searchParams.set("nonce", secrets.nonce);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(secrets.codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    // OIDC Core 11: a provider ignores offline_access (no refresh token) unless consent is asked.
    if (this.endpoints.scopes.includes("offline_access")) url.searchParams.set("prompt", "consent");
    // Google has no offline_access scope: a refresh token comes with access_type=offline, and
    // after the first sign-in only when consent is asked again.
    if (this.provider.fields.type === "google" && this.provider.fields.keep_tokens) {
      url.searchParams.set("access_type", "offline");
      url.searchParams.set("prompt", "consent");
    }
    return { url, secrets };
  }

  /**
   * Checks the authorization response (error, state, RFC 9207 `iss`), redeems the code and checks
   * the ID token; fetches userinfo when the ID token lacks the email or the groups claim.
   */
  async finish(callback: URL, secrets: AuthorizationSecrets): Promise<UpstreamSignIn> {
    const as = await this.metadata().catch((error) => {
      throw new UpstreamLoginError(
        "discovery_failed",
        `The identity provider could not be reached (${describe(error)}).`,
        502,
      );
    });
    const client = {
      ...this.client,
      [oauth.clockSkew]: Math.round((this.options.now() - Date.now()) / 1000),
    };
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, callback.searchParams, secrets.state);
    } catch (error) {
      throw authResponseError(error);
    }
    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        this.clientAuth,
        params,
        secrets.redirectUri,
        secrets.codeVerifier,
        this.http<"POST">(),
      );
      tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: secrets.nonce,
        requireIdToken: true,
      });
    } catch (error) {
      throw tokenError(error);
    }
    const idToken = tokens.id_token as string;
    const claims = await this.verifySignature(as, idToken);
    let merged: Record<string, unknown> = { ...claims };
    const groupsClaim = this.provider.fields.groups_claim;
    const missing = merged.email === undefined || merged[groupsClaim] === undefined;
    if (missing && as.userinfo_endpoint) {
      try {
        const response = await oauth.userInfoRequest(as, client, tokens.access_token, this.http<"GET">());
        const info = await oauth.processUserInfoResponse(as, client, String(claims.sub), response);
        merged = { ...info, ...merged };
      } catch (error) {
        throw new UpstreamLoginError(
          "userinfo_failed",
          `The identity provider's userinfo answer was refused (${describe(error)}).`,
          502,
        );
      }
    }
    return {
      profile: toProfile(this.provider.slug, merged, groupsClaim, this.endpoints.emailVerifiedClaim),
      tokens: tokenSet(tokens, undefined, this.options.now()),
    };
  }

  async refresh(refreshToken: string): Promise<UpstreamTokenSet> {
    const as = await this.metadata();
    const client = {
      ...this.client,
      [oauth.clockSkew]: Math.round((this.options.now() - Date.now()) / 1000),
    };
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      this.clientAuth,
      refreshToken,
      this.http<"POST">(),
    );
    try {
      const tokens = await oauth.processRefreshTokenResponse(as, client, response);
      return tokenSet(tokens, refreshToken, this.options.now());
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === "invalid_grant")
        throw new UpstreamRefreshRefused(error.error);
      throw error;
    }
  }

  private async verifySignature(as: oauth.AuthorizationServer, idToken: string): Promise<JWTPayload> {
    if (!as.jwks_uri)
      throw new UpstreamLoginError(
        "id_token_invalid",
        "The identity provider publishes no signing keys.",
        502,
      );
    this.keySet ??= createRemoteJWKSet(new URL(as.jwks_uri), {
      timeoutDuration: this.options.httpTimeoutMs,
      cooldownDuration: this.options.jwksCooldownMs,
    });
    try {
      const { payload } = await jwtVerify(idToken, this.keySet, {
        issuer: as.issuer,
        audience: this.provider.fields.client_id,
        algorithms: [...this.provider.fields.id_token_algorithms],
        currentDate: new Date(this.options.now()),
        clockTolerance: this.options.clockToleranceSeconds,
      });
      return payload;
    } catch (error) {
      const signature =
        error instanceof joseErrors.JWSSignatureVerificationFailed ||
        error instanceof joseErrors.JWKSNoMatchingKey;
      throw new UpstreamLoginError(
        signature ? "id_token_signature" : "id_token_invalid",
        signature
          ? "The identity provider's ID token is not signed by one of its published keys."
          : `The identity provider's ID token was refused (${describe(error)}).`,
      );
    }
  }
}

/** The tokens of a token endpoint answer; a refresh that returns no new refresh token keeps the old one. */
export function tokenSet(
  tokens: oauth.TokenEndpointResponse,
  previousRefreshToken: string | undefined,
  now: number,
): UpstreamTokenSet {
  const expiresIn =
    typeof tokens.expires_in === "number" && tokens.expires_in > 0 ? tokens.expires_in : undefined;
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? previousRefreshToken,
    expiresAt: expiresIn === undefined ? undefined : now + expiresIn * 1000,
    scope: tokens.scope,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
}

function authResponseError(error: unknown): LoginError {
  if (error instanceof oauth.AuthorizationResponseError) {
    const code = error.error.slice(0, 100);
    const denied = code === "access_denied";
    return new UpstreamLoginError(
      denied ? "access_denied" : "authorization_error",
      denied
        ? "The sign-in was cancelled or refused at the identity provider."
        : `The identity provider answered with an error (${code}).`,
      denied ? 403 : 400,
    );
  }
  if (error instanceof oauth.OperationProcessingError && /"iss"/.test(error.message)) {
    return new UpstreamLoginError(
      "issuer_mismatch",
      "The answer did not come from this identity provider (issuer mismatch).",
    );
  }
  return new UpstreamLoginError(
    "invalid_response",
    `The identity provider's answer was refused (${describe(error)}).`,
  );
}

function tokenError(error: unknown): LoginError {
  if (error instanceof oauth.ResponseBodyError) {
    return new UpstreamLoginError(
      "token_error",
      `The identity provider refused the code (${error.error.slice(0, 100)}).`,
      502,
    );
  }
  if (error instanceof oauth.OperationProcessingError) {
    const cause = (error as { cause?: { claim?: string } }).cause;
    if (error.code === oauth.JWT_CLAIM_COMPARISON && cause?.claim === "nonce")
      return new UpstreamLoginError(
        "nonce_mismatch",
        "The identity provider's ID token is not for this sign-in (nonce mismatch).",
      );
    if (error.code === oauth.JWT_TIMESTAMP_CHECK)
      return new UpstreamLoginError(
        "id_token_expired",
        "The identity provider's ID token is expired or not yet valid (check the clocks).",
      );
    return new UpstreamLoginError(
      "id_token_invalid",
      `The identity provider's ID token was refused (${describe(error)}).`,
    );
  }
  return new UpstreamLoginError(
    "token_error",
    `The identity provider's token endpoint failed (${describe(error)}).`,
    502,
  );
}

function optionalText(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 && value.length <= 500 ? value : undefined;
}

/** The profile from the verified claims; the groups claim may be a list or one name. */
export function toProfile(
  provider: string,
  claims: Record<string, unknown>,
  groupsClaim: string,
  emailVerifiedClaim = "email_verified",
): UpstreamProfile {
  const verified = claims[emailVerifiedClaim];
  const rawGroups = claims[groupsClaim];
  const groups = (Array.isArray(rawGroups) ? rawGroups : typeof rawGroups === "string" ? [rawGroups] : [])
    .filter((g): g is string => typeof g === "string" && g.length > 0 && g.length <= 200)
    .slice(0, 500);
  return {
    provider,
    subject: String(claims.sub),
    email: optionalText(claims.email)?.toLowerCase(),
    emailVerified: verified === true || verified === "true",
    name: optionalText(claims.name),
    preferredUsername: optionalText(claims.preferred_username),
    groups,
  };
}
