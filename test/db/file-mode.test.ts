import { expect, test } from "bun:test";
import { chmodSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations } from "../../src/db/migrate.ts";
import { tempDir } from "../support/context.ts";

const modeOf = (file: string) => statSync(file).mode & 0o777;

test("in a directory that already exists, the database and its -wal and -shm files are created 0600", () => {
  const dir = tempDir(); // exists already, mode 0700 from mkdtemp; the process umask is the usual one
  chmodSync(dir, 0o755);
  const file = join(dir, "users.db");
  const db = openDatabase(file, { busyTimeoutMs: 1000 });
  try {
    applyMigrations(db);
    db.$client.run("CREATE TABLE probe (secret TEXT)");
    db.$client.run("INSERT INTO probe VALUES ('s3cret')");
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
    expect(modeOf(`${file}-shm`)).toBe(0o600);
  } finally {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a database file left 0644 by an older version is narrowed to 0600 when opened", () => {
  const dir = tempDir();
  const file = join(dir, "users.db");
  writeFileSync(file, "");
  chmodSync(file, 0o644);
  const db = openDatabase(file, { busyTimeoutMs: 1000 });
  try {
    db.$client.run("CREATE TABLE probe (x)");
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
  } finally {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
