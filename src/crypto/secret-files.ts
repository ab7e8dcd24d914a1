import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/** Shortest secret accepted from a file: every secret the gateway generates is longer. */
export const SECRET_FILE_MIN_LENGTH = 32;

/** A temporary file next to `path`, written completely (mode 0600) before it takes the real name. */
function writeTemporary(path: string, value: string): string {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, `${value}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(temporary, 0o600);
  return temporary;
}

function readSecret(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) chmodSync(path, 0o600);
  const value = readFileSync(path, "utf8").trim();
  // An empty or truncated file (a full disk, an editor) must never become an empty HMAC key.
  if (value.length < SECRET_FILE_MIN_LENGTH) {
    throw new Error(
      `${path}: the secret in this file is empty or too short (${value.length} characters, at least ${SECRET_FILE_MIN_LENGTH} expected); restore it from a backup, or delete it to generate a new one`,
    );
  }
  return value;
}

/**
 * Reads a secret kept in the data directory, creating it with `generate` on first start.
 * Files are written with mode 0600 (and the directory 0700) so only the gateway's user reads them.
 * The file appears complete or not at all, and when two processes start at once both end up with
 * the one that was created first.
 */
export function readOrCreateSecretFile(dataDir: string, name: string, generate: () => string): string {
  const path = join(dataDir, name);
  if (existsSync(path)) return readSecret(path);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporary = writeTemporary(path, generate());
  try {
    linkSync(temporary, path); // fails when another process created the file meanwhile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return readSecret(path);
}

/** Replaces a secret file atomically (mode 0600): a crash leaves the old file or the new one, never half. */
export function writeSecretFile(dataDir: string, name: string, value: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, name);
  const temporary = writeTemporary(path, value);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
