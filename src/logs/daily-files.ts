import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";

const DAY_MS = 86_400_000;

/** The only names the gateway writes in LOG_DIR, and the only ones retention ever deletes. */
const LOG_FILE_NAME = /^authmcp-gateway-(\d{4})-(\d{2})-(\d{2})\.log$/;

/** `authmcp-gateway-YYYY-MM-DD.log` of the UTC day of `epochMs`. */
export function logFileName(epochMs: number): string {
  return `authmcp-gateway-${new Date(epochMs).toISOString().slice(0, 10)}.log`;
}

/** The start (Unix ms, UTC midnight) of the day a log file name names, or undefined for any other name. */
export function logFileDay(name: string): number | undefined {
  const match = LOG_FILE_NAME.exec(name);
  if (!match) return undefined;
  const [, year, month, day] = match;
  const start = Date.UTC(Number(year), Number(month) - 1, Number(day));
  // 2026-02-31 would roll over to March: not a name the gateway writes.
  return logFileName(start) === name ? start : undefined;
}

/**
 * Deletes the daily log files in `dir` whose whole day ended at or before `before` (Unix ms): a file
 * that may hold a line younger than that is kept. Only regular files named exactly
 * `authmcp-gateway-YYYY-MM-DD.log` are considered; anything else in the directory is never touched.
 * Returns how many were deleted (0 when the directory does not exist yet).
 */
export function deleteLogFilesBefore(dir: string, before: number): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let deleted = 0;
  for (const name of names) {
    const day = logFileDay(name);
    if (day === undefined || day + DAY_MS > before) continue;
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) continue;
    unlinkSync(path);
    deleted++;
  }
  return deleted;
}

/**
 * The application log's daily files in LOG_DIR: every line pino writes is appended to the file of
 * the current UTC day (by the context's clock), a new file from midnight on. The directory is
 * created with mode 0700 and each file with mode 0600 (log lines name users, clients and IPs).
 *
 * Writes are synchronous appends: a regular file's append lands in the page cache, so this costs a
 * system call per line, keeps the lines in order, loses none at exit and reports a failure where it
 * happens. A failure (disk full, permissions) never reaches the code that logged: the file is
 * closed, `onError` is told once, and writing resumes with the next day's file.
 */
export class DailyLogFiles {
  private fd: number | undefined;
  private day = Number.NaN;
  private failedDay = Number.NaN;

  constructor(
    readonly dir: string,
    private readonly clock: Clock,
    private readonly onError: (path: string, error: unknown) => void,
  ) {}

  write(chunk: string): void {
    const now = this.clock.now();
    const day = now - (((now % DAY_MS) + DAY_MS) % DAY_MS);
    if (day !== this.day) this.open(day);
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Closes the open file (a later line opens the day's file again). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.day = Number.NaN;
  }

  private open(day: number): void {
    this.close();
    this.day = day;
    if (day === this.failedDay) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.fd = openSync(join(this.dir, logFileName(day)), "a", 0o600);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    const path = join(this.dir, logFileName(this.day));
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already unusable
      }
    }
    this.fd = undefined;
    this.failedDay = this.day;
    this.onError(path, error);
  }
}
