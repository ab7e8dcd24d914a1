import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Paths redacted from every log line: credentials must never reach the logs. */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "new_password",
  "token",
  "*.token",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "id_token",
  "code",
  "*.code",
  "code_verifier",
  "client_secret",
  "*.client_secret",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "cookie",
  "set-cookie",
  "credential",
  "*.credential",
];

/** JSON logs on stdout (no worker transports: they do not run inside a compiled executable). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "authmcp-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
