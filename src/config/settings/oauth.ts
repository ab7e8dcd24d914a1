import { bool, int, list, oneOf, optionalText } from "./kinds.ts";

/** Settings of the authorization server (src/oauth). */
export const oauthSettings = {
  authorizationCodeTtlSeconds: int(
    "OAUTH_CODE_TTL_SECONDS",
    60,
    10,
    60,
    "Lifetime of an authorization code, in seconds (at most 60).",
  ),
  oauthRegistrationMode: oneOf(
    "OAUTH_REGISTRATION_MODE",
    ["open", "approval", "none"] as const,
    "open",
    "Dynamic client registration: open (clients register themselves), approval (registered clients wait for an admin), none (only pre-registered and CIMD clients).",
  ),
  oauthRefreshGraceSeconds: int(
    "OAUTH_REFRESH_GRACE_SECONDS",
    10,
    0,
    300,
    "How long a just-rotated refresh token may still be used once more (concurrent refreshes by one client) before reuse revokes its family.",
  ),
  oauthRefreshFamilyMaxDays: int(
    "OAUTH_REFRESH_FAMILY_MAX_DAYS",
    90,
    1,
    3650,
    "Absolute lifetime of a refresh-token family, in days: rotation never extends a grant beyond this; then the person signs in again.",
  ),
  oauthRegistrationTokenSha256: optionalText(
    "OAUTH_REGISTRATION_TOKEN_SHA256",
    "Hex SHA-256 of an initial access token (RFC 7591 §3.1): when set, POST /oauth/register needs `Authorization: Bearer <token>` (401 without). Create one with `openssl rand -base64 32` and hash it with `printf %s TOKEN | sha256sum`.",
    {
      refine: (s) =>
        s.regex(/^[0-9a-fA-F]{64}$/, { error: "expected 64 hexadecimal characters (a SHA-256 digest)" }),
    },
  ),
  oauthCimdEnabled: bool(
    "OAUTH_CIMD_ENABLED",
    true,
    "Accept https URLs as client_id and fetch them as Client ID Metadata Documents.",
  ),
  oauthCimdTimeoutMs: int(
    "OAUTH_CIMD_TIMEOUT_MS",
    5000,
    100,
    60_000,
    "Time allowed to fetch a Client ID Metadata Document, in milliseconds.",
  ),
  oauthCimdMaxBytes: int(
    "OAUTH_CIMD_MAX_BYTES",
    5120,
    256,
    1_048_576,
    "Largest Client ID Metadata Document accepted, in bytes.",
  ),
  oauthCimdCacheMaxSeconds: int(
    "OAUTH_CIMD_CACHE_MAX_SECONDS",
    3600,
    0,
    86_400,
    "Longest time a Client ID Metadata Document is cached (its Cache-Control max-age, capped by this).",
  ),
  oauthCimdCacheEntries: int(
    "OAUTH_CIMD_CACHE_ENTRIES",
    1000,
    1,
    1_000_000,
    "Most Client ID Metadata Documents kept in the cache.",
  ),
  oauthCimdNegativeCacheSeconds: int(
    "OAUTH_CIMD_NEGATIVE_CACHE_SECONDS",
    60,
    0,
    86_400,
    "How long a Client ID Metadata Document that could not be fetched or was refused is remembered as refused, in seconds (0: fetched again every time).",
  ),
  oauthCimdMaxConcurrentFetches: int(
    "OAUTH_CIMD_MAX_CONCURRENT_FETCHES",
    16,
    1,
    10_000,
    "Most Client ID Metadata Documents fetched at once; an authorization needing one more fails at once with a message saying so.",
  ),
  oauthCimdMaxConcurrentFetchesPerHost: int(
    "OAUTH_CIMD_MAX_CONCURRENT_FETCHES_PER_HOST",
    2,
    1,
    10_000,
    "Most Client ID Metadata Documents fetched at once from one host; an authorization needing one more fails at once with a message saying so.",
  ),
  oauthCimdAllowedHosts: list(
    "OAUTH_CIMD_ALLOWED_HOSTS",
    "Hosts (name or address, optionally with :port) whose Client ID Metadata Documents may be fetched over http and from loopback or private addresses. For development and tests only.",
  ),
  oauthCimdCaFile: optionalText(
    "OAUTH_CIMD_CA_FILE",
    "PEM file of extra certificate authorities trusted when fetching Client ID Metadata Documents (private deployments and tests).",
  ),
};
