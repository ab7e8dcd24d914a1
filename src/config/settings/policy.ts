import { networkList } from "./gateway.ts";
import { int } from "./kinds.ts";

const window = (env: string, def: number, what: string) =>
  int(env, def, 1, 86400, `Length of the sliding window of ${what}, in seconds.`);

/** Rate limits, sign-in lockout and the proxies trusted for the client address (src/policy/rate-limits). */
export const policySettings = {
  rateLimitLoginMax: int(
    "RATE_LIMIT_LOGIN_MAX",
    10,
    1,
    1000000,
    "Password sign-ins (POST /auth/login, /login, /setup) allowed per client IP per window; the next one is answered 429.",
  ),
  rateLimitLoginWindow: window("RATE_LIMIT_LOGIN_WINDOW", 60, "RATE_LIMIT_LOGIN_MAX"),
  rateLimitRegisterMax: int(
    "RATE_LIMIT_REGISTER_MAX",
    5,
    1,
    1000000,
    "Account registrations (POST /auth/register) allowed per client IP per window.",
  ),
  rateLimitRegisterWindow: window("RATE_LIMIT_REGISTER_WINDOW", 3600, "RATE_LIMIT_REGISTER_MAX"),
  rateLimitTokenMax: int(
    "RATE_LIMIT_TOKEN_MAX",
    60,
    1,
    1000000,
    "Token requests (POST /oauth/token, /token, /auth/refresh) allowed per client IP per window.",
  ),
  rateLimitTokenWindow: window("RATE_LIMIT_TOKEN_WINDOW", 60, "RATE_LIMIT_TOKEN_MAX"),
  rateLimitClientRegistrationMax: int(
    "RATE_LIMIT_CLIENT_REGISTRATION_MAX",
    10,
    1,
    1000000,
    "Dynamic client registrations (POST /oauth/register) allowed per client IP per window.",
  ),
  rateLimitClientRegistrationWindow: window(
    "RATE_LIMIT_CLIENT_REGISTRATION_WINDOW",
    60,
    "RATE_LIMIT_CLIENT_REGISTRATION_MAX",
  ),
  rateLimitAuthorizeMax: int(
    "RATE_LIMIT_AUTHORIZE_MAX",
    30,
    1,
    1000000,
    "Authorization and consent form posts (POST /oauth/authorize) allowed per client IP per window.",
  ),
  rateLimitAuthorizeWindow: window("RATE_LIMIT_AUTHORIZE_WINDOW", 60, "RATE_LIMIT_AUTHORIZE_MAX"),
  rateLimitMcpMax: int(
    "RATE_LIMIT_MCP_MAX",
    600,
    1,
    100000000,
    "MCP requests allowed per user and server per window on /mcp/{server} (and those routed to that server through /mcp); the admin API can set other limits per server, per group and per user (/admin/api/mcp-servers/{id}/rate-limit, /admin/api/groups/{id}/rate-limit, /admin/api/users/{id}/rate-limit).",
  ),
  rateLimitMcpWindow: window("RATE_LIMIT_MCP_WINDOW", 60, "RATE_LIMIT_MCP_MAX"),
  rateLimitMaxKeys: int(
    "RATE_LIMIT_MAX_KEYS",
    100000,
    100,
    10000000,
    "Most addresses, users or accounts each limiter (and the sign-in lockout) keeps counts for; idle ones are dropped first, then the oldest.",
  ),
  loginLockoutThreshold: int(
    "LOGIN_LOCKOUT_THRESHOLD",
    5,
    0,
    1000,
    "Failed sign-ins in a row for one account (or unknown name) before it is locked for LOGIN_LOCKOUT_SECONDS; 0 turns the lockout off.",
  ),
  loginLockoutSeconds: int(
    "LOGIN_LOCKOUT_SECONDS",
    300,
    1,
    86400,
    "How long the first lockout lasts, in seconds; each further run of failures after it doubles it.",
  ),
  loginLockoutMaxSeconds: int(
    "LOGIN_LOCKOUT_MAX_SECONDS",
    3600,
    1,
    604800,
    "Longest lockout, in seconds; failures are forgotten after this long without another one.",
  ),
  trustedProxies: networkList(
    "TRUSTED_PROXIES",
    "Comma-separated addresses or CIDR networks of reverse proxies whose X-Forwarded-For / Forwarded headers name the client; from any other peer the headers are ignored.",
  ),
};

/**
 * Settings this module replaced. Set in the environment (where unknown names are otherwise not
 * noticed) they stop the start with the replacement named, instead of silently changing whose
 * address a limit counts. In an env or YAML file any unknown name is refused anyway.
 */
export const REMOVED_SETTINGS: Record<string, string> = {
  TRUST_PROXY_HEADERS: "set TRUSTED_PROXIES to the reverse proxy's addresses (CIDR) instead",
  RATE_LIMIT_AUTH_PER_MINUTE:
    "use RATE_LIMIT_LOGIN_MAX, RATE_LIMIT_REGISTER_MAX and RATE_LIMIT_TOKEN_MAX (with their _WINDOW)",
  OAUTH_REGISTRATION_PER_MINUTE:
    "use RATE_LIMIT_CLIENT_REGISTRATION_MAX and RATE_LIMIT_CLIENT_REGISTRATION_WINDOW",
};
