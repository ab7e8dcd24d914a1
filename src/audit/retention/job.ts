import type { AppContext } from "../../context.ts";
import { deleteLogFilesBefore } from "../../logs/daily-files.ts";

const DAY_MS = 86_400_000;

/** What one cleanup deleted, and the cut-offs it used (Unix ms: rows recorded before were deleted). */
export interface CleanupResult {
  activityDeleted: number;
  activityBefore: number;
  securityEventsDeleted: number;
  securityEventsBefore: number;
  /** Daily log files deleted from LOG_DIR (0 when LOG_DIR is empty). */
  logFilesDeleted: number;
  /** Files whose whole UTC day ended at or before this were deleted. */
  logFilesBefore: number;
}

/**
 * Deletes stored MCP activity older than ACTIVITY_RETENTION_DAYS, security events older than
 * SECURITY_EVENT_RETENTION_DAYS and, with LOG_DIR set, the daily log files whose day ended more than
 * LOG_RETENTION_DAYS ago. Run by `start` once at start and every RETENTION_CLEANUP_INTERVAL_SECONDS,
 * and by `authmcp-gateway cleanup`. (Lines on stdout are the log collector's to keep or drop.)
 */
export class RetentionJob {
  private started = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly activity: { deleteBefore(epochMs: number): number },
  ) {}

  run(): CleanupResult {
    const { config, clock } = this.ctx;
    const now = clock.now();
    const activityBefore = now - config.activityRetentionDays * DAY_MS;
    const securityEventsBefore = now - config.securityEventRetentionDays * DAY_MS;
    const logFilesBefore = now - config.logRetentionDays * DAY_MS;
    const logDir = this.ctx.logs.files?.dir;
    return {
      activityDeleted: this.activity.deleteBefore(activityBefore),
      activityBefore,
      securityEventsDeleted: this.ctx.securityLog.deleteBefore(securityEventsBefore),
      securityEventsBefore,
      logFilesDeleted: logDir === undefined ? 0 : deleteLogFilesBefore(logDir, logFilesBefore),
      logFilesBefore,
    };
  }

  /** Runs now and then periodically; returns the stop (for `ctx.onClose`). Failures are logged, never thrown. */
  start(): () => void {
    if (this.started) return () => {};
    this.started = true;
    const runLogged = () => {
      try {
        const result = this.run();
        if (result.activityDeleted > 0 || result.securityEventsDeleted > 0 || result.logFilesDeleted > 0) {
          this.ctx.logger.info(
            {
              activityDeleted: result.activityDeleted,
              securityEventsDeleted: result.securityEventsDeleted,
              logFilesDeleted: result.logFilesDeleted,
            },
            "retention cleanup deleted old audit rows and log files",
          );
        }
      } catch (error) {
        this.ctx.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          "retention cleanup failed",
        );
      }
    };
    runLogged();
    const timer = setInterval(runLogged, this.ctx.config.retentionCleanupIntervalSeconds * 1000);
    return () => clearInterval(timer);
  }
}
