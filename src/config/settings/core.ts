import { bool, int, oneOf, optionalText, origins, text } from "./kinds.ts";

const MIB = 1024 * 1024;

/** Settings of the foundation: server, tokens, storage, users, logs, limits. */
export const coreSettings = {
  port: int("PORT", 8000, 0, 65535, "TCP port the gateway listens on (0 picks a free port)."),
  host: text("HOST", "0.0.0.0", "Address the gateway listens on."),
  publicUrl: optionalText(
    "MCP_PUBLIC_URL",
    "Public base URL: the OAuth issuer and the base of every resource URI. Default http://localhost:PORT.",
  ),
  allowInsecureHttp: bool(
    "ALLOW_INSECURE_HTTP",
    false,
    "Allow an http:// MCP_PUBLIC_URL on a non-loopback host (tokens would travel in clear text).",
  ),
  jwtAlgorithm: oneOf(
    "JWT_ALGORITHM",
    ["ES256", "RS256", "HS256"] as const,
    "ES256",
    "Signing algorithm of access tokens.",
  ),
  jwtSecretKey: optionalText(
    "JWT_SECRET_KEY",
    "HS256 only: the shared signing secret, at least 32 characters.",
    {
      secret: true,
      refine: (s) => s.min(32, { error: "expected at least 32 characters" }),
    },
  ),
  accessTokenMinutes: int(
    "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
    30,
    1,
    24 * 60,
    "Lifetime of access tokens, in minutes.",
  ),
  refreshTokenDays: int("JWT_REFRESH_TOKEN_EXPIRE_DAYS", 7, 1, 365, "Lifetime of refresh tokens, in days."),
  clockSkewSeconds: int(
    "JWT_CLOCK_SKEW_SECONDS",
    30,
    0,
    300,
    "Tolerance for exp / nbf / iat when checking tokens.",
  ),
  encryptionKey: optionalText(
    "ENCRYPTION_KEY",
    "Base64 of 32 random bytes: the AES-256-GCM key for stored secrets. Generated in the data directory when unset.",
    { secret: true },
  ),
  sessionSecret: optionalText(
    "SESSION_SECRET",
    "Secret (at least 32 characters) for CSRF tokens of browser sessions. Generated in the data directory when unset.",
    { secret: true, refine: (s) => s.min(32, { error: "expected at least 32 characters" }) },
  ),
  sqlitePath: text(
    "AUTH_SQLITE_PATH",
    "./data/users.db",
    "SQLite database file; its directory is the data directory.",
  ),
  sqliteBusyTimeoutMs: int(
    "SQLITE_BUSY_TIMEOUT_MS",
    5000,
    0,
    60000,
    "How long a write waits for a lock, in ms.",
  ),
  allowRegistration: bool(
    "ALLOW_REGISTRATION",
    false,
    "Let anyone create an account with POST /auth/register.",
  ),
  passwordMinLength: int("PASSWORD_MIN_LENGTH", 8, 1, 256, "Minimum password length."),
  passwordRequireUppercase: bool("PASSWORD_REQUIRE_UPPERCASE", true, "Passwords need an uppercase letter."),
  passwordRequireLowercase: bool("PASSWORD_REQUIRE_LOWERCASE", true, "Passwords need a lowercase letter."),
  passwordRequireDigit: bool("PASSWORD_REQUIRE_DIGIT", true, "Passwords need a digit."),
  passwordRequireSpecial: bool(
    "PASSWORD_REQUIRE_SPECIAL",
    true,
    "Passwords need a character that is not a letter or digit.",
  ),
  passwordPassphraseMinLength: int(
    "PASSWORD_PASSPHRASE_MIN_LENGTH",
    15,
    1,
    1024,
    "Passwords at least this long are passphrases: the uppercase / lowercase / digit / special rules do not apply to them (NIST SP 800-63B). Common leaked passwords and mostly-space passwords are refused at any length.",
  ),
  adminSessionHours: int(
    "ADMIN_SESSION_HOURS",
    12,
    1,
    24 * 30,
    "Lifetime of an admin browser session, in hours.",
  ),
  allowedOrigins: origins(
    "ALLOWED_ORIGINS",
    "Comma-separated browser origins (https://app.example.com, or * for any) allowed to call the gateway (CORS and Origin checks). The public URL's origin is always allowed.",
  ),
  rateLimitEnabled: bool(
    "RATE_LIMIT_ENABLED",
    true,
    "Enable the per-IP and per-user rate limits (RATE_LIMIT_*); false turns them all off.",
  ),
  logLevel: oneOf(
    "LOG_LEVEL",
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const,
    "info",
    "Log level of the JSON logs on stdout.",
  ),
  maxBodyBytes: int(
    "MAX_BODY_BYTES",
    MIB,
    1024,
    1024 * MIB,
    "Largest request body accepted, in bytes (413 beyond).",
  ),
  httpBodyTimeoutMs: int(
    "HTTP_BODY_TIMEOUT_MS",
    30000,
    100,
    600000,
    "Time a client has to send a whole request body, in ms, counted from the request's arrival (408 and the connection closed beyond). Bun's idle timeout alone lets a client that sends one byte at a time hold a connection for ever.",
  ),
  httpIncompleteRequestsMax: int(
    "HTTP_INCOMPLETE_REQUESTS_MAX",
    1024,
    1,
    1000000,
    "Most requests whose body is still arriving, all clients together; the next one is answered 503 and its connection closed.",
  ),
  httpIncompleteRequestsPerIp: int(
    "HTTP_INCOMPLETE_REQUESTS_PER_IP",
    32,
    1,
    1000000,
    "Most requests whose body is still arriving from one client IP (the X-Forwarded-For client when the peer is one of TRUSTED_PROXIES); the next one is answered 503 and its connection closed.",
  ),
  hstsMaxAgeSeconds: int(
    "HSTS_MAX_AGE_SECONDS",
    31536000,
    0,
    63072000,
    "max-age of the Strict-Transport-Security header sent on every response when MCP_PUBLIC_URL is https (0 tells browsers to forget it). Never sent for an http public URL.",
  ),
};
