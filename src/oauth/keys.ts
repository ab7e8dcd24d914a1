import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { randomToken } from "../crypto/random.ts";
import { readOrCreateSecretFile, writeSecretFile } from "../crypto/secret-files.ts";

export type SigningAlgorithm = "ES256" | "RS256" | "HS256";

interface StoredKey {
  kid: string;
  alg: "ES256" | "RS256";
  createdAt: number;
  /** When a newer key took over; the public key stays in the JWKS until tokens it signed have expired. */
  retiredAt?: number;
  privateJwk: JWK;
}
interface KeyFile {
  keys: StoredKey[];
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey | Uint8Array;
}

export const SIGNING_KEYS_FILE = "signing-keys.json";
export const HS256_SECRET_FILE = "jwt-secret.key";

/**
 * The gateway's token signing keys. Asymmetric keys live in `signing-keys.json` in the data
 * directory (mode 0600); HS256 uses JWT_SECRET_KEY or a generated `jwt-secret.key`.
 */
export class KeyStore {
  private constructor(
    readonly algorithm: SigningAlgorithm,
    private readonly active: SigningKey,
    private readonly verifying: Map<string, SigningKey>,
    private readonly publicJwks: JWK[],
  ) {}

  static async load(options: {
    dataDir: string;
    algorithm: SigningAlgorithm;
    hmacSecret?: string;
    now: number;
    /** Public keys of retired keys stay published this long (the longest access-token lifetime). */
    retiredKeyGraceMs: number;
  }): Promise<KeyStore> {
    if (options.algorithm === "HS256") {
      const secret =
        options.hmacSecret ??
        readOrCreateSecretFile(options.dataDir, HS256_SECRET_FILE, () => randomToken(48));
      const kid = `hs-${new Bun.CryptoHasher("sha256").update(secret).digest("hex").slice(0, 16)}`;
      const key: SigningKey = { kid, alg: "HS256", key: new TextEncoder().encode(secret) };
      return new KeyStore("HS256", key, new Map([[kid, key]]), []);
    }

    let file = readKeyFile(options.dataDir);
    const current = file.keys.filter((k) => !k.retiredAt && k.alg === options.algorithm).at(-1);
    if (!current) {
      // First start, or the algorithm changed: add a key and retire the others.
      file = await addKey(file, options.algorithm, options.now);
      writeSecretFile(options.dataDir, SIGNING_KEYS_FILE, JSON.stringify(file, null, 2));
    }
    return KeyStore.fromFile(file, options.algorithm, options.now, options.retiredKeyGraceMs);
  }

  private static async fromFile(file: KeyFile, algorithm: SigningAlgorithm, now: number, graceMs: number) {
    const verifying = new Map<string, SigningKey>();
    const publicJwks: JWK[] = [];
    let active: SigningKey | undefined;
    for (const stored of file.keys) {
      if (stored.retiredAt && stored.retiredAt + graceMs < now) continue;
      const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = stored.privateJwk;
      const publicKey = (await importJWK(publicJwk, stored.alg)) as CryptoKey;
      verifying.set(stored.kid, { kid: stored.kid, alg: stored.alg, key: publicKey });
      publicJwks.push({ ...publicJwk, kid: stored.kid, alg: stored.alg, use: "sig" });
      if (!stored.retiredAt && stored.alg === algorithm)
        active = { kid: stored.kid, alg: stored.alg, key: privateKey };
    }
    if (!active) throw new Error("no active signing key");
    return new KeyStore(algorithm, active, verifying, publicJwks);
  }

  /** Adds a new signing key; the old one keeps verifying (and stays in the JWKS) until its tokens expire. */
  static async rotate(dataDir: string, algorithm: "ES256" | "RS256", now: number): Promise<string> {
    const file = await addKey(readKeyFile(dataDir), algorithm, now);
    writeSecretFile(dataDir, SIGNING_KEYS_FILE, JSON.stringify(file, null, 2));
    return file.keys.at(-1)?.kid as string;
  }

  signingKey(): SigningKey {
    return this.active;
  }

  verificationKey(kid: string | undefined): SigningKey | undefined {
    return kid === undefined ? undefined : this.verifying.get(kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.publicJwks };
  }
}

function readKeyFile(dataDir: string): KeyFile {
  const path = join(dataDir, SIGNING_KEYS_FILE);
  if (!existsSync(path)) return { keys: [] };
  const parsed = JSON.parse(readFileSync(path, "utf8")) as KeyFile;
  if (!Array.isArray(parsed.keys)) throw new Error(`${path}: not a signing key file`);
  return parsed;
}

async function addKey(file: KeyFile, alg: "ES256" | "RS256", now: number): Promise<KeyFile> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const privateJwk = await exportJWK(privateKey);
  const kid = `${alg.toLowerCase()}-${now.toString(36)}-${randomToken(6)}`;
  const keys = file.keys.map((k) => (k.retiredAt ? k : { ...k, retiredAt: now }));
  return { keys: [...keys, { kid, alg, createdAt: now, privateJwk }] };
}
