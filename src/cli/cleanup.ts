import { ActivityStore } from "../audit/activity/store.ts";
import { RetentionJob } from "../audit/retention/job.ts";
import { createContext } from "../context.ts";
import type { Command } from "./command.ts";
import { CONFIG_FLAGS_HELP, configOnly } from "./config-flags.ts";

export const cleanupCommand: Command = {
  name: "cleanup",
  summary: "delete MCP activity, security events and log files past their retention",
  usage: `Usage: authmcp-gateway cleanup [--env-file FILE] [--config FILE]

Deletes stored MCP activity rows older than ACTIVITY_RETENTION_DAYS, security events older than
SECURITY_EVENT_RETENTION_DAYS and, when LOG_DIR is set, the daily log files in it
(authmcp-gateway-YYYY-MM-DD.log, nothing else) whose day ended more than LOG_RETENTION_DAYS ago,
and prints how many. \`start\` runs the same cleanup at start and every
RETENTION_CLEANUP_INTERVAL_SECONDS; this command is for a cron job or a one-off run. Safe to run while
the gateway runs (SQLite WAL).

Options:
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const config = configOnly(argv, io, this.usage);
    if (typeof config === "number") return config;
    const ctx = await createContext(config);
    try {
      const result = new RetentionJob(ctx, new ActivityStore(ctx.db.$client)).run();
      const when = (ms: number) => new Date(ms).toISOString();
      io.stdout(
        `deleted ${result.activityDeleted} MCP activity rows recorded before ${when(result.activityBefore)} (ACTIVITY_RETENTION_DAYS=${config.activityRetentionDays})\n` +
          `deleted ${result.securityEventsDeleted} security events recorded before ${when(result.securityEventsBefore)} (SECURITY_EVENT_RETENTION_DAYS=${config.securityEventRetentionDays})\n` +
          (ctx.logs.files === undefined
            ? "no log files to delete: LOG_DIR is not set\n"
            : `deleted ${result.logFilesDeleted} log files from ${ctx.logs.files.dir} whose day ended before ${when(result.logFilesBefore)} (LOG_RETENTION_DAYS=${config.logRetentionDays})\n`),
      );
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
