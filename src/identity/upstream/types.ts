import type { ProviderFields } from "./provider-schema.ts";

/** An upstream identity provider the gateway knows, from the config file or the admin API. */
export interface UpstreamProvider {
  slug: string;
  fields: Omit<ProviderFields, "client_secret">;
  /** The client secret in clear, in memory only; never logged, never returned by the API. */
  clientSecret: string | undefined;
  source: "config" | "api";
}

/** Who signed in upstream, as the provider told it (ID token, then userinfo for missing claims). */
export interface UpstreamProfile {
  provider: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
  preferredUsername: string | undefined;
  groups: string[];
}

/** Why an upstream sign-in was refused: `reason` goes into the security event, `message` to the person. */
export class UpstreamLoginError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** What the callback needs from the start of the sign-in (kept by PendingLogins). */
export interface AuthorizationSecrets {
  state: string;
  /** OpenID Connect only; GitHub has no ID token to carry it. */
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

/** The person's own tokens at the provider, kept for backends when the provider has `keep_tokens`. */
export interface UpstreamTokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Unix ms; undefined when the provider gave no `expires_in` (the token is used until refused). */
  expiresAt: number | undefined;
  scope: string | undefined;
}

/** What a finished upstream sign-in yields: who the person is, and their tokens at the provider. */
export interface UpstreamSignIn {
  profile: UpstreamProfile;
  tokens: UpstreamTokenSet;
}

/** The upstream refused a refresh token (RFC 6749 `invalid_grant`): revoked or expired there. */
export class UpstreamRefreshRefused extends Error {}

/** The relying-party side of one provider: where to send the person, and what their answer proves. */
export interface UpstreamClient {
  readonly provider: UpstreamProvider;
  start(redirectUri: string): Promise<{ url: URL; secrets: AuthorizationSecrets }>;
  finish(callback: URL, secrets: AuthorizationSecrets): Promise<UpstreamSignIn>;
  /**
   * New tokens for a refresh token (the refresh token is kept when the answer has none).
   * Throws UpstreamRefreshRefused when the provider refuses it, another error when it cannot be asked.
   */
  refresh(refreshToken: string): Promise<UpstreamTokenSet>;
}
