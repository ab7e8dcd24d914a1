import { and, desc, eq, gt, lt } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { constantTimeEqual, hmacSha256, randomToken, sha256Hex } from "../crypto/random.ts";
import type { Db } from "../db/connection.ts";
import { browserSessions } from "../db/schema/index.ts";

export interface BrowserSession {
  idHash: string;
  userId: string;
  expiresAt: number;
}

/**
 * Cookie sessions of people in the browser (admin, later the portal). The cookie carries a random
 * id; the table only its SHA-256. CSRF tokens are an HMAC of the session id under the session secret.
 */
export class BrowserSessionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  create(userId: string, userAgent: string | null): { cookieValue: string; session: BrowserSession } {
    const cookieValue = randomToken(32);
    const now = this.clock.now();
    const session = {
      idHash: sha256Hex(cookieValue),
      userId,
      createdAt: now,
      expiresAt: now + this.ttlMs,
      userAgent: userAgent?.slice(0, 300) ?? null,
    };
    this.db.insert(browserSessions).values(session).run();
    return { cookieValue, session };
  }

  resolve(cookieValue: string | undefined): BrowserSession | undefined {
    if (!cookieValue || cookieValue.length > 128) return undefined;
    return this.db
      .select({
        idHash: browserSessions.idHash,
        userId: browserSessions.userId,
        expiresAt: browserSessions.expiresAt,
      })
      .from(browserSessions)
      .where(
        and(
          eq(browserSessions.idHash, sha256Hex(cookieValue)),
          gt(browserSessions.expiresAt, this.clock.now()),
        ),
      )
      .get();
  }

  destroy(cookieValue: string | undefined): void {
    if (!cookieValue || cookieValue.length > 128) return;
    this.db
      .delete(browserSessions)
      .where(eq(browserSessions.idHash, sha256Hex(cookieValue)))
      .run();
  }

  destroyForUser(userId: string): void {
    this.db.delete(browserSessions).where(eq(browserSessions.userId, userId)).run();
  }

  /** A user's live sessions (admin user page), newest first; `idHash` names one to end. */
  listForUser(
    userId: string,
  ): { idHash: string; createdAt: number; expiresAt: number; userAgent: string | null }[] {
    return this.db
      .select({
        idHash: browserSessions.idHash,
        createdAt: browserSessions.createdAt,
        expiresAt: browserSessions.expiresAt,
        userAgent: browserSessions.userAgent,
      })
      .from(browserSessions)
      .where(and(eq(browserSessions.userId, userId), gt(browserSessions.expiresAt, this.clock.now())))
      .orderBy(desc(browserSessions.createdAt))
      .all();
  }

  /** Ends one session of a user by its `idHash`; false when there is none. */
  destroyByHash(userId: string, idHash: string): boolean {
    return (
      this.db
        .delete(browserSessions)
        .where(and(eq(browserSessions.userId, userId), eq(browserSessions.idHash, idHash)))
        .returning()
        .all().length > 0
    );
  }

  prune(): number {
    return this.db
      .delete(browserSessions)
      .where(lt(browserSessions.expiresAt, this.clock.now()))
      .returning()
      .all().length;
  }

  csrfToken(session: BrowserSession): string {
    return hmacSha256(this.secret, `csrf:${session.idHash}`);
  }

  checkCsrf(session: BrowserSession, presented: string | null | undefined): boolean {
    return typeof presented === "string" && constantTimeEqual(presented, this.csrfToken(session));
  }
}
