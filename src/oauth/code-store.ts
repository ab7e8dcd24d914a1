import { and, eq, lt } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { randomToken, sha256Hex } from "../crypto/random.ts";
import type { Db } from "../db/connection.ts";
import { oauthCodes } from "../db/schema/index.ts";

export type CodeRow = typeof oauthCodes.$inferSelect;

export interface NewCode {
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string;
  scope: string;
  ttlMs: number;
}

/** What a redeemed code led to: a refresh-token family, or (no refresh token) one access token. */
export type IssuedFromCode = { familyId: string } | { accessJti: string };

/** The family_id column holds either a family id or, prefixed, the jti of a lone access token. */
const JTI_PREFIX = "jti:";

export function issuedFromCode(row: CodeRow): IssuedFromCode | undefined {
  if (row.familyId === null) return undefined;
  return row.familyId.startsWith(JTI_PREFIX)
    ? { accessJti: row.familyId.slice(JTI_PREFIX.length) }
    : { familyId: row.familyId };
}

export type RedeemResult =
  | { ok: true; row: CodeRow }
  | { ok: false; reason: "unknown" | "expired" }
  /** The code was used before: the tokens issued from it must be revoked. */
  | { ok: false; reason: "replayed"; row: CodeRow };

/** Authorization codes, stored as SHA-256, single use. */
export class CodeStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  create(input: NewCode): string {
    const code = randomToken(32);
    const now = this.clock.now();
    this.db
      .insert(oauthCodes)
      .values({
        codeHash: sha256Hex(code),
        clientId: input.clientId,
        userId: input.userId,
        redirectUri: input.redirectUri,
        codeChallenge: input.codeChallenge,
        resource: input.resource,
        scope: input.scope,
        createdAt: now,
        expiresAt: now + input.ttlMs,
      })
      .run();
    return code;
  }

  /** Marks the code used, atomically; a second redemption reports the replay. */
  redeem(code: string): RedeemResult {
    if (code.length === 0 || code.length > 512) return { ok: false, reason: "unknown" };
    const now = this.clock.now();
    return this.db.transaction((tx) => {
      const row = tx
        .select()
        .from(oauthCodes)
        .where(eq(oauthCodes.codeHash, sha256Hex(code)))
        .get();
      if (!row) return { ok: false, reason: "unknown" } as const;
      if (row.usedAt !== null) return { ok: false, reason: "replayed", row } as const;
      tx.update(oauthCodes).set({ usedAt: now }).where(eq(oauthCodes.codeHash, row.codeHash)).run();
      if (row.expiresAt <= now) return { ok: false, reason: "expired" } as const;
      return { ok: true, row } as const;
    });
  }

  /** Records what the code is about to issue, before issuing it, so a concurrent replay finds it. */
  recordIssued(codeHash: string, issued: IssuedFromCode): void {
    const familyId = "familyId" in issued ? issued.familyId : `${JTI_PREFIX}${issued.accessJti}`;
    this.db.update(oauthCodes).set({ familyId }).where(eq(oauthCodes.codeHash, codeHash)).run();
  }

  /** Deletes codes expired for longer than `keepMs` (kept a while to detect replays). */
  prune(keepMs: number): number {
    return this.db
      .delete(oauthCodes)
      .where(and(lt(oauthCodes.expiresAt, this.clock.now() - keepMs)))
      .returning()
      .all().length;
  }
}
