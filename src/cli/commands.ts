import { auditCommand } from "./audit.ts";
import { cleanupCommand } from "./cleanup.ts";
import type { Command } from "./command.ts";
import { createAdminCommand } from "./create-admin.ts";
import { healthcheckCommand } from "./healthcheck.ts";
import { initDbCommand } from "./init-db.ts";
import { rotateKeysCommand } from "./rotate-keys.ts";
import { startCommand } from "./start.ts";
import { versionCommand } from "./version.ts";

export const COMMANDS: readonly Command[] = [
  startCommand,
  createAdminCommand,
  initDbCommand,
  rotateKeysCommand,
  cleanupCommand,
  healthcheckCommand,
  auditCommand,
  versionCommand,
];

export const USAGE = `Usage: authmcp-gateway <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(14)}${c.summary}`).join("\n")}

Run \`authmcp-gateway <command> --help\` for a command's options.
Settings come from flags, the environment, --env-file (default .env) and --config (YAML).
`;
