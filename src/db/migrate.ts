import { createHash } from "node:crypto";
import type { MigrationMeta } from "drizzle-orm/migrator";
import { convertRowActivity } from "../audit/activity/row-table.ts";
import type { Db } from "./connection.ts";
import { journal, migrationFiles } from "./migrations.gen.ts";

export interface Journal {
  entries: { idx: number; tag: string; when: number; breakpoints: boolean }[];
}

/** Turns the embedded journal and SQL texts into drizzle's migration list (the migrator only reads folders). */
export function embeddedMigrations(
  source: { journal: Journal; files: Record<string, string> } = { journal, files: migrationFiles },
): MigrationMeta[] {
  return source.journal.entries.map((entry) => {
    const text = source.files[entry.tag];
    if (text === undefined) throw new Error(`migration ${entry.tag} is in the journal but not embedded`);
    return {
      sql: text.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
    };
  });
}

/**
 * Applies every migration not yet applied, all inside one transaction, then the data migration SQL
 * cannot express (activity rows into segments). Safe to run on every start.
 */
export function applyMigrations(db: Db, migrations: MigrationMeta[] = embeddedMigrations()): void {
  // drizzle's migrator only reads folders; its dialect (internal in the typings) takes the list directly.
  const internals = db as unknown as {
    dialect: { migrate(m: MigrationMeta[], session: unknown, config: { migrationsFolder: string }): void };
    session: unknown;
  };
  internals.dialect.migrate(migrations, internals.session, { migrationsFolder: "(embedded)" });
  convertRowActivity(db.$client);
}

/** True when the newest embedded migration is recorded as applied. */
export function migrationsApplied(db: Db, migrations: MigrationMeta[] = embeddedMigrations()): boolean {
  const newest = migrations.at(-1);
  if (!newest) return true;
  const row = db.$client
    .query<{ last: number | null }, []>("SELECT max(created_at) AS last FROM __drizzle_migrations")
    .get();
  return row !== null && row !== undefined && row.last !== null && Number(row.last) >= newest.folderMillis;
}
