import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema/index.ts";

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

export interface OpenOptions {
  busyTimeoutMs: number;
}

/** The database holds password hashes, token hashes and encrypted credentials: owner only. */
const PRIVATE_FILE_MODE = 0o600;

/** Opens (creating the directory and file when missing) a SQLite database with WAL and foreign keys on. */
export function openDatabase(file: string, options: OpenOptions): Db {
  if (file !== ":memory:") {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivately(file);
  }
  const sqlite = new Database(file, { create: true, strict: true });
  sqlite.run(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA foreign_keys = ON");
  if (file !== ":memory:") {
    // SQLite creates -wal and -shm with the main file's mode; files left by an older version that
    // created them 0644 are narrowed here too.
    for (const companion of [`${file}-wal`, `${file}-shm`]) {
      if (existsSync(companion)) narrow(companion);
    }
  }
  return drizzle({ client: sqlite, schema }) as Db;
}

/**
 * The file is created 0600 by us before SQLite opens it, so it is never readable by others, not
 * even for the instant between SQLite creating it (0644 under the usual umask 022) and a chmod,
 * and SQLite's unix VFS gives the -wal and -shm files it creates later the main file's
 * permissions. An existing file (created by an older version) is narrowed to 0600 as well.
 * Changing the process umask instead would affect every file Bun creates, in every thread.
 */
function createPrivately(file: string): void {
  if (existsSync(file)) {
    narrow(file);
    return;
  }
  try {
    closeSync(openSync(file, "wx", PRIVATE_FILE_MODE));
  } catch (error) {
    // Created at the same moment by another process: narrow what it made.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    narrow(file);
  }
}

function narrow(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch {
    // A file system without Unix modes (some container volume drivers): nothing to narrow.
  }
}
