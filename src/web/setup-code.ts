import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { constantTimeEqual, sha256Hex } from "../crypto/random.ts";
import { writeSecretFile } from "../crypto/secret-files.ts";

/** Name of the file, in the data directory, that holds the setup code while no administrator exists. */
export const SETUP_CODE_FILE = "setup-code";

/** Crockford's base32 without I, L, O, U: nothing a person can misread when typing it from a log. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const GROUPS = 5;
const GROUP_LENGTH = 4;

/**
 * The one-time code the first-run wizard asks for. With the default HOST=0.0.0.0, whoever reaches
 * the port first could otherwise make themselves administrator; the code only reaches the person who
 * can read the gateway's log or its data directory (the same people `create-admin` trusts), as in
 * other self-hosted products. The file is the single truth: the wizard reads it on every attempt, so
 * a restart (a new code) or `create-admin` (the file removed) takes effect at once.
 */
export class SetupCode {
  readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, SETUP_CODE_FILE);
  }

  /** Writes a fresh code (mode 0600), replacing any earlier one, and returns it. */
  issue(): string {
    const random = crypto.getRandomValues(new Uint8Array(GROUPS * GROUP_LENGTH));
    // 32 divides 256: every symbol is equally likely (20 symbols, 100 bits).
    const symbols = Array.from(random, (byte) => ALPHABET[byte % ALPHABET.length]).join("");
    const code = (symbols.match(new RegExp(`.{${GROUP_LENGTH}}`, "g")) ?? []).join("-");
    writeSecretFile(this.dataDir, SETUP_CODE_FILE, code);
    return code;
  }

  /** The code in force, or undefined when there is none (an administrator exists). */
  current(): string | undefined {
    if (!existsSync(this.path)) return undefined;
    const code = readFileSync(this.path, "utf8").trim();
    return code === "" ? undefined : code;
  }

  /** Whether `submitted` is the code in force; case, spaces and dashes do not matter. */
  matches(submitted: string): boolean {
    const expected = this.current();
    if (expected === undefined) return false;
    // Hashes of equal length: the comparison leaks neither content nor length.
    return constantTimeEqual(sha256Hex(normalise(submitted)), sha256Hex(normalise(expected)));
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

function normalise(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}
