import { openDatabase } from "../db/connection.ts";
import { applyMigrations, embeddedMigrations } from "../db/migrate.ts";
import type { Command } from "./command.ts";
import { CONFIG_FLAGS_HELP, configOnly } from "./config-flags.ts";

export const initDbCommand: Command = {
  name: "init-db",
  summary: "create the database and apply pending migrations, then exit",
  usage: `Usage: authmcp-gateway init-db [--env-file FILE] [--config FILE]

Creates the SQLite database at AUTH_SQLITE_PATH (and its directory) when missing, applies every
pending migration in one transaction and exits. \`start\` does the same on every start.

Options:
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const config = configOnly(argv, io, this.usage);
    if (typeof config === "number") return config;
    const db = openDatabase(config.sqliteFile, { busyTimeoutMs: config.sqliteBusyTimeoutMs });
    try {
      applyMigrations(db);
    } finally {
      db.$client.close();
    }
    io.stdout(`database ${config.sqliteFile}: ${embeddedMigrations().length} migrations applied\n`);
    return 0;
  },
};
