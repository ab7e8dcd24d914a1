import type { AppContext } from "../../context.ts";

const DAY_MS = 86_400_000;

/** What one cleanup deleted, and the cut-offs it used (Unix ms: rows recorded before were deleted). */
export interface CleanupResult {
  activityDeleted: number;
  activityBefore: number;
  securityEventsDeleted: number;
  securityEventsBefore: number;
}

/**
 * Deletes stored MCP activity older than ACTIVITY_RETENTION_DAYS and security events older than
 * SECURITY_EVENT_RETENTION_DAYS. Run by `start` once at start and every
 * RETENTION_CLEANUP_INTERVAL_SECONDS, and by `authmcp-gateway cleanup`. (Application logs go to
 * stdout and are the log collector's to keep or drop: the gateway stores none.)
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
    return {
      activityDeleted: this.activity.deleteBefore(activityBefore),
      activityBefore,
      securityEventsDeleted: this.ctx.securityLog.deleteBefore(securityEventsBefore),
      securityEventsBefore,
    };
  }

  /** Runs now and then periodically; returns the stop (for `ctx.onClose`). Failures are logged, never thrown. */
  start(): () => void {
    if (this.started) return () => {};
    this.started = true;
    const runLogged = () => {
      try {
        const result = this.run();
        if (result.activityDeleted > 0 || result.securityEventsDeleted > 0) {
          this.ctx.logger.info(
            { activityDeleted: result.activityDeleted, securityEventsDeleted: result.securityEventsDeleted },
            "retention cleanup deleted old audit rows",
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
