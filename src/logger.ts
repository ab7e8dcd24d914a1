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

const CENSOR = "[redacted]";
/**
 * What an error code looks like: POSIX and Node codes (EADDRINUSE, ERR_INVALID_URL, UND_ERR_…) or
 * Bun's (ConnectionRefused, FailedToOpenSocket), at most 40 characters. An authorization code the
 * gateway issues is 43 random base64url characters, so it never matches.
 */
const ERROR_CODE = /^(?:[A-Z][A-Z0-9_]{1,39}|(?:[A-Z][a-z]+){2,6})$/;

/**
 * `code` and `*.code` hide authorization codes wherever a caller logs them, but the `code` of an
 * error (`err.code`) is what a person needs to act on and is never a secret. Pino's wildcard paths do
 * not tell the censor which parent matched, so the value decides: an error code's shape is kept.
 */
export function censor(value: unknown, path: string[]): unknown {
  if (path.at(-1) === "code" && typeof value === "string" && ERROR_CODE.test(value)) return value;
  return CENSOR;
}

/** A destination that takes each finished (serialized, redacted) line besides the main one. */
export interface LogSink {
  write(line: string): void;
}

/**
 * Writes each line to the main destination (stdout), then to the sinks (the in-memory ring, the
 * daily files: src/logs). In-process, like pino's multistream, but it keeps the main destination's
 * `flush(cb)` (multistream has none), which the shutdown waits on. The sinks never throw.
 */
class TeeDestination implements DestinationStream {
  constructor(
    readonly main: DestinationStream,
    private readonly sinks: LogSink[],
  ) {}

  write(line: string): void {
    this.main.write(line);
    for (const sink of this.sinks) sink.write(line);
  }

  flush(callback: (error?: Error) => void): void {
    const { flush } = this.main as { flush?: (cb: (error?: Error) => void) => void };
    if (typeof flush === "function") flush.call(this.main, callback);
    else callback();
  }

  flushSync(): void {
    const { flushSync } = this.main as { flushSync?: () => void };
    if (typeof flushSync === "function") flushSync.call(this.main);
  }
}

/**
 * JSON logs on stdout (no worker transports: they do not run inside a compiled executable), and the
 * same lines, already redacted, to each of `sinks`.
 */
export function createLogger(level: string, destination?: DestinationStream, sinks: LogSink[] = []): Logger {
  const main = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: { service: "authmcp-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor },
      formatters: { level: (label) => ({ level: label }) },
    },
    sinks.length === 0 ? main : new TeeDestination(main, sinks),
  );
}

/**
 * Waits until pino's asynchronous stdout writes are done, at most `timeoutMs`, so that an exit
 * after this loses no line; past that (a pipe its reader is slow to empty), writes what is still
 * queued synchronously. Why not `logger.flush(cb)`: sonic-boom (pino's stdout destination) calls it
 * back at once when its `minLength` is 0, pino's default, even with a write in flight, so a line
 * logged just before the exit could be lost (the "stopping" line of `start`, seen under load).
 */
export async function drainLogger(logger: Logger, timeoutMs: number): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  const target = stream instanceof TeeDestination ? stream.main : stream;
  const deadline = performance.now() + timeoutMs;
  while (writesPending(target) && performance.now() < deadline) await Bun.sleep(2);
  if (!writesPending(target)) return;
  try {
    (target as { flushSync?: () => void }).flushSync?.();
  } catch {
    // Nothing more can be done for a destination that refuses to write.
  }
}

/** A write in flight or bytes queued, read from sonic-boom's own state (false for other streams). */
function writesPending(stream: unknown): boolean {
  const state = (stream ?? {}) as { _writing?: unknown; _len?: unknown };
  return state._writing === true || (typeof state._len === "number" && state._len > 0);
}
