import { bool, int } from "./kinds.ts";

/** Settings of sign-in through upstream identity providers (src/identity/upstream). */
export const upstreamSettings = {
  localLoginEnabled: bool(
    "LOCAL_LOGIN_ENABLED",
    true,
    "Show the username/password form on the login page and accept it. Turn off when everyone signs in through an upstream identity provider (oauth_providers).",
  ),
  upstreamLoginMinutes: int(
    "UPSTREAM_LOGIN_MINUTES",
    10,
    1,
    60,
    "How long a person has to finish signing in at an upstream identity provider, in minutes; the pending state and nonce are forgotten after it.",
  ),
  upstreamHttpTimeoutMs: int(
    "UPSTREAM_HTTP_TIMEOUT_MS",
    10000,
    500,
    120000,
    "Timeout of each request the gateway makes to an upstream identity provider (discovery, JWKS, token, userinfo), in milliseconds.",
  ),
  upstreamJwksCooldownSeconds: int(
    "UPSTREAM_JWKS_COOLDOWN_SECONDS",
    30,
    0,
    3600,
    "After fetching a provider's signing keys (JWKS), how long an ID token with an unknown key id is refused without fetching them again, in seconds (a rotated key is picked up after at most this long; the pause keeps forged key ids from making the gateway hammer the provider).",
  ),
  upstreamTokenRefreshMarginSeconds: int(
    "UPSTREAM_TOKEN_REFRESH_MARGIN_SECONDS",
    60,
    0,
    3600,
    "A person's kept upstream access token (backend credential upstream_user_token) is refreshed at the provider when it expires within this many seconds, so a backend never receives one that runs out during the call.",
  ),
};
