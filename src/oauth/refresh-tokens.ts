import { and, eq, isNotNull, isNull, lt } from "drizzle-orm";
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
  /** Absolute lifetime of a new family (RFC 9700 §4.14.2: bound the total life of a grant). */
  familyMaxMs: number;
  /** Continue a family (rotation); absent starts a new one. */
  familyId?: string;
}

/** What a rotation issues in place of the presented token, prepared before the transaction. */
export interface Successor {
  token: string;
  accessJti: string;
  scope: string;
  ttlMs: number;
  familyMaxMs: number;
  /** The whole answer of this rotation, sealed: returned again to a replay within the grace window. */
  sealed: string;
}

export type RotateResult =
  | { ok: true; row: RefreshTokenRow; successor: RefreshTokenRow }
  | { ok: false; reason: "unknown" | "expired" | "revoked" }
  /** Presented again within the grace window while its successor is still current: the same answer. */
  | { ok: false; reason: "grace"; row: RefreshTokenRow; sealed: string }
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
    const familyExpiresAt = now + input.familyMaxMs;
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
        expiresAt: Math.min(now + input.ttlMs, familyExpiresAt),
        familyExpiresAt,
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
   * Rotates a current refresh token into `successor`, in one transaction. A token presented after
   * its rotation revokes its whole family, with one exception: within `graceMs` of the rotation,
   * while the successor is still current, the answer is the same successor (`grace`).
   *
   * Why the same successor and not a new token: a grace answer that issued a fresh token would start
   * a second chain beside the first, and a stolen, just-rotated token would then live on in parallel
   * without ever being noticed. With the same successor there is only ever one current token per
   * family: whichever holder rotates it next, the other's next use is a reuse and ends the family.
   * Concurrent refreshes of one client (several tabs or processes) still all succeed.
   */
  rotate(token: string, options: { clientId: string; graceMs: number; successor: Successor }): RotateResult {
    const now = this.clock.now();
    const next = options.successor;
    return this.db.transaction((tx) => {
      const row =
        token.length > 512
          ? undefined
          : tx
              .select()
              .from(refreshTokens)
              .where(eq(refreshTokens.tokenHash, sha256Hex(token)))
              .get();
      if (!row || row.clientId !== options.clientId) return { ok: false, reason: "unknown" } as const;
      if (row.revokedAt !== null) return { ok: false, reason: "revoked" } as const;
      if (row.expiresAt <= now) return { ok: false, reason: "expired" } as const;
      if (row.rotatedAt !== null) {
        if (row.successorSealed !== null && now - row.rotatedAt <= options.graceMs) {
          return { ok: false, reason: "grace", row, sealed: row.successorSealed } as const;
        }
        tx.update(refreshTokens)
          .set({ revokedAt: now, successorSealed: null })
          .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
          .run();
        return { ok: false, reason: "reused", familyId: row.familyId, row } as const;
      }
      // Only the newest rotation may be answered again: the older ones' successors are gone.
      tx.update(refreshTokens)
        .set({ successorSealed: null })
        .where(and(eq(refreshTokens.familyId, row.familyId), isNotNull(refreshTokens.successorSealed)))
        .run();
      const updated = tx
        .update(refreshTokens)
        .set({ rotatedAt: now, successorSealed: options.graceMs > 0 ? next.sealed : null })
        .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.rotatedAt)))
        .returning()
        .get();
      const familyExpiresAt = row.familyExpiresAt ?? now + next.familyMaxMs;
      const successor = tx
        .insert(refreshTokens)
        .values({
          id: crypto.randomUUID(),
          tokenHash: sha256Hex(next.token),
          familyId: row.familyId,
          userId: row.userId,
          clientId: row.clientId,
          resource: row.resource,
          scope: next.scope,
          accessJti: next.accessJti,
          createdAt: now,
          expiresAt: Math.min(now + next.ttlMs, familyExpiresAt),
          familyExpiresAt,
        })
        .returning()
        .get();
      return { ok: true, row: updated ?? row, successor } as const;
    });
  }

  /** Forgets sealed answers whose grace window is over (they are never returned again). */
  pruneSealed(graceMs: number): void {
    this.db
      .update(refreshTokens)
      .set({ successorSealed: null })
      .where(
        and(
          isNotNull(refreshTokens.successorSealed),
          lt(refreshTokens.rotatedAt, this.clock.now() - graceMs),
        ),
      )
      .run();
  }

  /** Revokes every live token of a family; returns the access-token jtis issued with them. */
  revokeFamily(familyId: string): RefreshTokenRow[] {
    return this.db
      .update(refreshTokens)
      .set({ revokedAt: this.clock.now(), successorSealed: null })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
      .returning()
      .all();
  }

  /** Revokes every live refresh token of a client, of one user or of all (consent revoked, client deleted). */
  revokeForClient(clientId: string, userId?: string): number {
    const match =
      userId === undefined
        ? eq(refreshTokens.clientId, clientId)
        : and(eq(refreshTokens.clientId, clientId), eq(refreshTokens.userId, userId));
    return this.db
      .update(refreshTokens)
      .set({ revokedAt: this.clock.now(), successorSealed: null })
      .where(and(match, isNull(refreshTokens.revokedAt)))
      .returning()
      .all().length;
  }

  /** Revokes every live refresh token of a user, of every client (password reset, account disabled). */
  revokeForUser(userId: string): number {
    return this.db
      .update(refreshTokens)
      .set({ revokedAt: this.clock.now(), successorSealed: null })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
      .returning()
      .all().length;
  }

  /** The refresh token issued together with an access token (logout revokes both). */
  byAccessJti(jti: string): RefreshTokenRow | undefined {
    return this.db.select().from(refreshTokens).where(eq(refreshTokens.accessJti, jti)).get();
  }

  familyRows(familyId: string): RefreshTokenRow[] {
    return this.db.select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId)).all();
  }
}
