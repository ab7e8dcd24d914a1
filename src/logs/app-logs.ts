import { resolve } from "node:path";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/load.ts";
import { DailyLogFiles } from "./daily-files.ts";
import { LogRing } from "./ring.ts";
import { LogStreams } from "./stream.ts";

/** Where the application log goes besides stdout: the in-memory ring, its live streams, the daily files. */
export interface AppLogs {
  ring: LogRing;
  streams: LogStreams;
  /** Undefined when LOG_DIR is empty (stdout only). */
  files: DailyLogFiles | undefined;
  /** The destinations the logger writes each line to besides stdout. */
  sinks: { write(line: string): void }[];
}

/**
 * Builds the ring (LOG_RING_LINES, LOG_RING_LINE_CHARS), its streams and, with LOG_DIR set, the
 * daily files (a relative LOG_DIR is relative to the working directory). `onFileError` hears of a
 * file that could not be written.
 */
export function createAppLogs(
  config: Config,
  clock: Clock,
  onFileError: (path: string, error: unknown) => void,
): AppLogs {
  const ring = new LogRing({ lines: config.logRingLines, lineChars: config.logRingLineChars });
  const streams = new LogStreams(ring, {
    keepAliveMs: config.sseKeepAliveMs,
    backlog: config.logStreamBacklog,
  });
  const files =
    config.logDir === "" ? undefined : new DailyLogFiles(resolve(config.logDir), clock, onFileError);
  return { ring, streams, files, sinks: files ? [ring, files] : [ring] };
}
