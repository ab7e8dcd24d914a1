import { lt } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/connection.ts";
import { revokedAccessTokens, revokedTokenCutoffs } from "../db/schema/index.ts";
import type { AccessTokenClaims } from "./access-tokens.ts";

/** What the revocation check reads from a verified access token. */
export type RevocableClaims = Pick<AccessTokenClaims, "jti" | "client_id" | "sub" | "iat">;

/** The client id a cutoff row carries when it applies to one user's tokens of every client. */
const EVERY_CLIENT = "";

/** Cutoffs of one client: for all its users, and per user. */
interface ClientCutoffs {
  all?: number;
  users: Map<string, number>;
}

/**
 * Access tokens revoked before they expire: one by one (jti), or all tokens of a client (for one
 * user or for all) issued at or before a moment, a "cutoff" (consent revoked, client deleted).
 *
 * The check runs on every request of the proxy's hot path, so it is memory only and O(1): one
 * lookup of the jti, one of the client, one of the user within it; no allocation. The tables keep
 * both kinds across restarts (loaded at start) and each entry is pruned once every token it could
 * match has expired anyway. (Several instances will put this behind Redis.)
 *
 * A cutoff compares the token's `iat`, which has whole-second precision: a token issued in the same
 * second as the revocation, even just after it, is refused too. That errs on the safe side: the
 * client refreshes or re-authorizes a second later.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>();
  private readonly cutoffs = new Map<string, ClientCutoffs>();
  /** Per user, whatever the client (password reset, account disabled). */
  private readonly userCutoffs = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    for (const row of db.select().from(revokedAccessTokens).all()) {
      if (row.expiresAt > now) this.revoked.set(row.jti, row.expiresAt);
    }
    for (const row of db.select().from(revokedTokenCutoffs).all()) {
      if (row.expiresAt <= now) continue;
      if (row.clientId === EVERY_CLIENT) this.setUserCutoff(row.userId, row.revokedBefore);
      else this.setCutoff(row.clientId, row.userId || undefined, row.revokedBefore);
    }
  }

  isRevoked(claims: RevocableClaims): boolean {
    if (this.revoked.has(claims.jti)) return true;
    const issuedAt = claims.iat * 1000;
    const everyClient = this.userCutoffs.get(claims.sub);
    if (everyClient !== undefined && issuedAt <= everyClient) return true;
    const client = this.cutoffs.get(claims.client_id);
    if (client === undefined) return false;
    if (client.all !== undefined && issuedAt <= client.all) return true;
    const user = client.users.get(claims.sub);
    return user !== undefined && issuedAt <= user;
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

  /**
   * Revokes every access token of `clientId` (of `userId` only, when given) issued until now.
   * `maxTokenLifetimeMs`: the longest an access token issued now lives (lifetime + clock skew);
   * after that the marker matches nothing live and is pruned.
   */
  revokeIssuedUntilNow(clientId: string, userId: string | undefined, maxTokenLifetimeMs: number): void {
    const now = this.clock.now();
    this.setCutoff(clientId, userId, now);
    const expiresAt = now + maxTokenLifetimeMs;
    this.db
      .insert(revokedTokenCutoffs)
      .values({ clientId, userId: userId ?? "", revokedBefore: now, expiresAt })
      .onConflictDoUpdate({
        target: [revokedTokenCutoffs.clientId, revokedTokenCutoffs.userId],
        set: { revokedBefore: now, expiresAt },
      })
      .run();
  }

  /**
   * Revokes every access token of `userId`, of any client, issued until now (password reset,
   * account disabled: a stolen token must not come back when the account is enabled again).
   * Stored as a cutoff row whose client id is empty.
   */
  revokeUserIssuedUntilNow(userId: string, maxTokenLifetimeMs: number): void {
    const now = this.clock.now();
    this.setUserCutoff(userId, now);
    const expiresAt = now + maxTokenLifetimeMs;
    this.db
      .insert(revokedTokenCutoffs)
      .values({ clientId: EVERY_CLIENT, userId, revokedBefore: now, expiresAt })
      .onConflictDoUpdate({
        target: [revokedTokenCutoffs.clientId, revokedTokenCutoffs.userId],
        set: { revokedBefore: now, expiresAt },
      })
      .run();
  }

  private setUserCutoff(userId: string, at: number): void {
    this.userCutoffs.set(userId, Math.max(this.userCutoffs.get(userId) ?? at, at));
  }

  private setCutoff(clientId: string, userId: string | undefined, at: number): void {
    let client = this.cutoffs.get(clientId);
    if (client === undefined) {
      client = { users: new Map() };
      this.cutoffs.set(clientId, client);
    }
    if (userId === undefined) client.all = Math.max(client.all ?? at, at);
    else client.users.set(userId, Math.max(client.users.get(userId) ?? at, at));
  }

  /** Forgets revocations of tokens that have expired; run periodically. */
  prune(): number {
    const now = this.clock.now();
    for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
    const expiredCutoffs = this.db
      .delete(revokedTokenCutoffs)
      .where(lt(revokedTokenCutoffs.expiresAt, now))
      .returning()
      .all();
    for (const row of expiredCutoffs) {
      if (row.clientId === EVERY_CLIENT) {
        this.userCutoffs.delete(row.userId);
        continue;
      }
      const client = this.cutoffs.get(row.clientId);
      if (client === undefined) continue;
      if (row.userId === "") client.all = undefined;
      else client.users.delete(row.userId);
      if (client.all === undefined && client.users.size === 0) this.cutoffs.delete(row.clientId);
    }
    return (
      this.db.delete(revokedAccessTokens).where(lt(revokedAccessTokens.expiresAt, now)).returning().all()
        .length + expiredCutoffs.length
    );
  }
}
