import { and, eq, isNull } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { randomToken, sha256Hex } from "../crypto/random.ts";
import type { Db } from "../db/connection.ts";
import { refreshTokens } from "../db/schema/index.ts";

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

export interface NewRefreshToken {
  userId: string;
  clientId: string;
  resource: string;
  scope: string;
  accessJti: string;
  ttlMs: number;
  /** Continue a family (rotation); absent starts a new one. */
  familyId?: string;
}

export type ConsumeResult =
  | { ok: true; row: RefreshTokenRow }
  | { ok: false; reason: "unknown" | "expired" | "revoked" }
  /** A rotated token came back: the family has been revoked (RFC 9700 §4.14.2). */
  | { ok: false; reason: "reused"; familyId: string; row: RefreshTokenRow };

/** Opaque refresh tokens, kept as SHA-256 hashes, rotated on every use. */
export class RefreshTokenStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  issue(input: NewRefreshToken): { token: string; row: RefreshTokenRow } {
    const token = randomToken(32);
    const now = this.clock.now();
    const row = this.db
      .insert(refreshTokens)
      .values({
        id: crypto.randomUUID(),
        tokenHash: sha256Hex(token),
        familyId: input.familyId ?? crypto.randomUUID(),
        userId: input.userId,
        clientId: input.clientId,
        resource: input.resource,
        scope: input.scope,
        accessJti: input.accessJti,
        createdAt: now,
        expiresAt: now + input.ttlMs,
      })
      .returning()
      .get();
    return { token, row };
  }

  find(token: string): RefreshTokenRow | undefined {
    if (token.length === 0 || token.length > 512) return undefined;
    return this.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, sha256Hex(token)))
      .get();
  }

  /**
   * Marks a refresh token as used (rotated) if it is current. A token presented after rotation
   * revokes its whole family, unless it was rotated less than `graceMs` ago (concurrent refreshes).
   */
  consume(token: string, options: { clientId?: string; graceMs?: number } = {}): ConsumeResult {
    const now = this.clock.now();
    return this.db.transaction((tx) => {
      const row = tx
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, sha256Hex(token)))
        .get();
      if (!row || token.length > 512) return { ok: false, reason: "unknown" } as const;
      if (options.clientId !== undefined && row.clientId !== options.clientId) {
        return { ok: false, reason: "unknown" } as const;
      }
      if (row.revokedAt !== null) return { ok: false, reason: "revoked" } as const;
      if (row.expiresAt <= now) return { ok: false, reason: "expired" } as const;
      if (row.rotatedAt !== null) {
        if (options.graceMs !== undefined && now - row.rotatedAt <= options.graceMs)
          return { ok: true, row } as const;
        tx.update(refreshTokens)
          .set({ revokedAt: now })
          .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
          .run();
        return { ok: false, reason: "reused", familyId: row.familyId, row } as const;
      }
      const updated = tx
        .update(refreshTokens)
        .set({ rotatedAt: now })
        .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.rotatedAt)))
        .returning()
        .get();
      return { ok: true, row: updated ?? row } as const;
    });
  }

  /** Revokes every live token of a family; returns the access-token jtis issued with them. */
  revokeFamily(familyId: string): RefreshTokenRow[] {
    return this.db
      .update(refreshTokens)
      .set({ revokedAt: this.clock.now() })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
      .returning()
      .all();
  }

  /** The refresh token issued together with an access token (logout revokes both). */
  byAccessJti(jti: string): RefreshTokenRow | undefined {
    return this.db.select().from(refreshTokens).where(eq(refreshTokens.accessJti, jti)).get();
  }

  familyRows(familyId: string): RefreshTokenRow[] {
    return this.db.select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId)).all();
  }
}
