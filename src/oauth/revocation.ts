import { lt } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/connection.ts";
import { revokedAccessTokens } from "../db/schema/index.ts";

/**
 * Access tokens revoked before they expire. The check on every request is an in-memory lookup;
 * the table survives restarts. (Several instances will put this behind Redis.)
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    for (const row of db.select().from(revokedAccessTokens).all()) {
      if (row.expiresAt > now) this.revoked.set(row.jti, row.expiresAt);
    }
  }

  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }

  /** `expiresAt` in ms: the row is useless after the token would have expired anyway. */
  revoke(jti: string, expiresAt: number): void {
    if (this.revoked.has(jti)) return;
    this.revoked.set(jti, expiresAt);
    this.db
      .insert(revokedAccessTokens)
      .values({ jti, expiresAt, revokedAt: this.clock.now() })
      .onConflictDoNothing()
      .run();
  }

  /** Forgets revocations of tokens that have expired; run periodically. */
  prune(): number {
    const now = this.clock.now();
    for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
    return this.db.delete(revokedAccessTokens).where(lt(revokedAccessTokens.expiresAt, now)).returning().all()
      .length;
  }
}
