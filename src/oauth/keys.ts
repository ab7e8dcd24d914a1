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

/** A signing key as the admin lists it (GET /admin/api/signing-keys); never its key material. */
export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  createdAt?: number;
  retiredAt?: number;
  /** The key new tokens are signed with. */
  active: boolean;
  /** Still verifies tokens (and is in the JWKS when asymmetric). */
  verifying: boolean;
}

/** Why a rotation was refused (HS256): the answer says it. */
export class RotationRefused extends Error {}

interface KeySet {
  active: SigningKey;
  verifying: Map<string, SigningKey>;
  publicJwks: JWK[];
  infos: SigningKeyInfo[];
}

/**
 * The gateway's token signing keys. Asymmetric keys live in `signing-keys.json` in the data
 * directory (mode 0600); HS256 uses JWT_SECRET_KEY or a generated `jwt-secret.key`. `rotate` adds a
 * key while the gateway runs: new tokens are signed with it at once, tokens of the retired key keep
 * verifying and its public key stays in the JWKS until they have expired.
 */
export class KeyStore {
  /** The rotation under way: rotations run one after the other, so none loses another's key. */
  private rotating: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly algorithm: SigningAlgorithm,
    private keySet: KeySet,
    private readonly dataDir: string,
    private readonly retiredKeyGraceMs: () => number,
  ) {}

  static async load(options: {
    dataDir: string;
    algorithm: SigningAlgorithm;
    hmacSecret?: string;
    now: number;
    /** Public keys of retired keys stay published this long (the longest access-token lifetime). */
    retiredKeyGraceMs: number | (() => number);
  }): Promise<KeyStore> {
    const grace = options.retiredKeyGraceMs;
    const graceMs = typeof grace === "number" ? () => grace : grace;
    if (options.algorithm === "HS256") {
      const secret =
        options.hmacSecret ??
        readOrCreateSecretFile(options.dataDir, HS256_SECRET_FILE, () => randomToken(48));
      const kid = `hs-${new Bun.CryptoHasher("sha256").update(secret).digest("hex").slice(0, 16)}`;
      const key: SigningKey = { kid, alg: "HS256", key: new TextEncoder().encode(secret) };
      const info: SigningKeyInfo = { kid, alg: "HS256", active: true, verifying: true };
      const keySet = { active: key, verifying: new Map([[kid, key]]), publicJwks: [], infos: [info] };
      return new KeyStore("HS256", keySet, options.dataDir, graceMs);
    }

    let file = readKeyFile(options.dataDir);
    const current = file.keys.filter((k) => !k.retiredAt && k.alg === options.algorithm).at(-1);
    if (!current) {
      // First start, or the algorithm changed: add a key and retire the others.
      file = await addKey(file, options.algorithm, options.now);
      writeSecretFile(options.dataDir, SIGNING_KEYS_FILE, JSON.stringify(file, null, 2));
    }
    const keySet = await keySetOf(file, options.algorithm, options.now, graceMs());
    return new KeyStore(options.algorithm, keySet, options.dataDir, graceMs);
  }

  /** Adds a new signing key to a data directory's file (the CLI's rotate-keys, gateway stopped or not). */
  static async rotate(dataDir: string, algorithm: "ES256" | "RS256", now: number): Promise<string> {
    const file = await addKey(readKeyFile(dataDir), algorithm, now);
    writeSecretFile(dataDir, SIGNING_KEYS_FILE, JSON.stringify(file, null, 2));
    return file.keys.at(-1)?.kid as string;
  }

  /**
   * Rotates the live store: a new key is written to the file and signs from now on; the others are
   * retired but keep verifying for the grace time. The file is read again first, so a key the CLI
   * added meanwhile is kept. Refused for HS256, whose one shared secret is also every verifier's:
   * a new secret would invalidate every token at once (change JWT_SECRET_KEY and restart instead).
   */
  rotateLive(now: number): Promise<SigningKeyInfo> {
    const next = this.rotating.then(() => this.rotateNow(now));
    this.rotating = next.catch(() => undefined);
    return next;
  }

  private async rotateNow(now: number): Promise<SigningKeyInfo> {
    const algorithm = this.algorithm;
    if (algorithm === "HS256") {
      throw new RotationRefused(
        "JWT_ALGORITHM is HS256: its shared secret both signs and verifies, so a new one would invalidate every token at once; change JWT_SECRET_KEY and restart, or use ES256 or RS256",
      );
    }
    const file = await addKey(readKeyFile(this.dataDir), algorithm, now);
    writeSecretFile(this.dataDir, SIGNING_KEYS_FILE, JSON.stringify(file, null, 2));
    this.keySet = await keySetOf(file, algorithm, now, this.retiredKeyGraceMs());
    return this.keySet.infos.find((k) => k.active) as SigningKeyInfo;
  }

  signingKey(): SigningKey {
    return this.keySet.active;
  }

  verificationKey(kid: string | undefined): SigningKey | undefined {
    return kid === undefined ? undefined : this.keySet.verifying.get(kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keySet.publicJwks };
  }

  /** Every key of the file (newest last), the retired ones too, without key material. */
  list(): SigningKeyInfo[] {
    return this.keySet.infos;
  }
}

async function keySetOf(file: KeyFile, algorithm: SigningAlgorithm, now: number, graceMs: number) {
  const verifying = new Map<string, SigningKey>();
  const publicJwks: JWK[] = [];
  const infos: SigningKeyInfo[] = [];
  let active: SigningKey | undefined;
  for (const stored of file.keys) {
    const isActive = !stored.retiredAt && stored.alg === algorithm;
    const expired = stored.retiredAt !== undefined && stored.retiredAt + graceMs < now;
    infos.push({
      kid: stored.kid,
      alg: stored.alg,
      createdAt: stored.createdAt,
      ...(stored.retiredAt !== undefined ? { retiredAt: stored.retiredAt } : {}),
      active: isActive,
      verifying: !expired,
    });
    if (expired) continue;
    const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = stored.privateJwk;
    const publicKey = (await importJWK(publicJwk, stored.alg)) as CryptoKey;
    verifying.set(stored.kid, { kid: stored.kid, alg: stored.alg, key: publicKey });
    publicJwks.push({ ...publicJwk, kid: stored.kid, alg: stored.alg, use: "sig" });
    if (isActive) active = { kid: stored.kid, alg: stored.alg, key: privateKey };
  }
  if (!active) throw new Error("no active signing key");
  return { active, verifying, publicJwks, infos };
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
