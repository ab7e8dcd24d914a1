import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations, embeddedMigrations, migrationsApplied } from "../../src/db/migrate.ts";
import { tempDir, testGateway } from "../support/context.ts";

const root = join(import.meta.dir, "../..");

describe("embedded migrations", () => {
  test("every .sql file in drizzle/ is in the journal and embedded in the binary's index", () => {
    const journal = JSON.parse(readFileSync(join(root, "drizzle/meta/_journal.json"), "utf8")) as {
      entries: { tag: string }[];
    };
    const files = readdirSync(join(root, "drizzle"))
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""))
      .sort();
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files);
    const index = readFileSync(join(root, "src/db/migrations.gen.ts"), "utf8");
    for (const tag of files) expect(index).toContain(`../../drizzle/${tag}.sql`);
    expect(embeddedMigrations()).toHaveLength(files.length);
  });

  test("a migration in the journal but not embedded is refused", () => {
    expect(() =>
      embeddedMigrations({
        journal: { entries: [{ idx: 0, tag: "0000_x", when: 1, breakpoints: true }] },
        files: {},
      }),
    ).toThrow("0000_x");
  });
});

describe("applying migrations", () => {
  test("a new database: directory and file created, tables present, WAL and foreign keys on", () => {
    const dir = join(tempDir(), "nested", "data");
    const db = openDatabase(join(dir, "gw.db"), { busyTimeoutMs: 1000 });
    applyMigrations(db);
    expect(statSync(join(dir, "gw.db")).isFile()).toBe(true);
    expect(migrationsApplied(db)).toBe(true);
    const tables = db.$client
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
      .all()
      .map((r) => r.name);
    expect(tables).toContain("users");
    expect(tables).toContain("refresh_tokens");
    expect(db.$client.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe(
      "wal",
    );
    expect(db.$client.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()?.foreign_keys).toBe(1);
    db.$client.close();
  });

  test("an existing database: applying again changes nothing and keeps data", async () => {
    const gateway = await testGateway({}, { keepDir: true });
    await gateway.ctx.users.create({ username: "keeper", email: "k@example.test", password: "Keep-me-1!" });
    const file = gateway.ctx.config.sqliteFile;
    await gateway.close();
    const db = openDatabase(file, { busyTimeoutMs: 1000 });
    const before = db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get();
    applyMigrations(db);
    applyMigrations(db);
    expect(db.$client.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual(before);
    expect(db.$client.query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()?.n).toBe(1);
    db.$client.close();
  });

  test("a later migration is applied to an existing database, inside one transaction", () => {
    const file = join(tempDir(), "gw.db");
    const db = openDatabase(file, { busyTimeoutMs: 1000 });
    applyMigrations(db);
    const existing = embeddedMigrations();
    const last = existing.at(-1)?.folderMillis ?? 0;
    const next = [
      ...existing,
      {
        sql: ["CREATE TABLE extra (id integer primary key)"],
        bps: true,
        folderMillis: last + 1,
        hash: "extra",
      },
    ];
    expect(migrationsApplied(db, next)).toBe(false);
    applyMigrations(db, next);
    expect(migrationsApplied(db, next)).toBe(true);
    const broken = [
      ...next,
      {
        sql: ["CREATE TABLE half (id integer)", "THIS IS NOT SQL"],
        bps: true,
        folderMillis: last + 2,
        hash: "broken",
      },
    ];
    expect(() => applyMigrations(db, broken)).toThrow();
    const half = db.$client.query("SELECT name FROM sqlite_master WHERE name='half'").get();
    expect(half).toBeNull();
    db.$client.close();
  });

  test("/readyz is 503 while a migration is pending and 200 once applied", async () => {
    const gateway = await testGateway();
    expect((await gateway.request("/readyz")).status).toBe(200);
    gateway.ctx.db.$client.run("DELETE FROM __drizzle_migrations");
    const pending = await gateway.request("/readyz");
    expect(pending.status).toBe(503);
    expect(await pending.json()).toMatchObject({ status: "not_ready", checks: { migrations: "pending" } });
    await gateway.close();
  });

  test("/readyz is 503 when the database is unreachable", async () => {
    const gateway = await testGateway();
    gateway.ctx.db.$client.close();
    const response = await gateway.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ checks: { database: "unreachable" } });
    expect((await gateway.request("/healthz")).status).toBe(200);
    await gateway.close();
  });
});
