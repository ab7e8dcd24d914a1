import { and, eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/connection.ts";
import { oauthConsentRedirects, oauthConsents } from "../db/schema/index.ts";
import { scopeCovers } from "./scopes.ts";

export type ConsentRow = typeof oauthConsents.$inferSelect;

/** Consent remembered per user, client, resource and scopes, and the redirect URIs approved with it. */
export class ConsentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  has(userId: string, clientId: string, resource: string, scope: string): boolean {
    return this.db
      .select()
      .from(oauthConsents)
      .where(
        and(
          eq(oauthConsents.userId, userId),
          eq(oauthConsents.clientId, clientId),
          eq(oauthConsents.resource, resource),
        ),
      )
      .all()
      .some((row) => scopeCovers(row.scope, scope));
  }

  /** True when the person has approved this client at least once (for any resource). */
  hasClient(userId: string, clientId: string): boolean {
    return (
      this.db
        .select({ id: oauthConsents.id })
        .from(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
        .limit(1)
        .all().length > 0
    );
  }

  /** True when the person approved this client with exactly this redirect URI before. */
  redirectApproved(userId: string, clientId: string, redirectUri: string): boolean {
    return (
      this.db
        .select({ uri: oauthConsentRedirects.redirectUri })
        .from(oauthConsentRedirects)
        .where(
          and(
            eq(oauthConsentRedirects.userId, userId),
            eq(oauthConsentRedirects.clientId, clientId),
            eq(oauthConsentRedirects.redirectUri, redirectUri),
          ),
        )
        .all().length > 0
    );
  }

  /** Records an approval: the consent (unless already covered) and the exact redirect URI. */
  grant(userId: string, clientId: string, resource: string, scope: string, redirectUri: string): void {
    const now = this.clock.now();
    this.db
      .insert(oauthConsentRedirects)
      .values({ userId, clientId, redirectUri, createdAt: now })
      .onConflictDoNothing()
      .run();
    if (this.has(userId, clientId, resource, scope)) return;
    this.db
      .insert(oauthConsents)
      .values({ id: crypto.randomUUID(), userId, clientId, resource, scope, createdAt: now })
      .run();
  }

  listForUser(userId: string): ConsentRow[] {
    return this.db.select().from(oauthConsents).where(eq(oauthConsents.userId, userId)).all();
  }

  /**
   * Revokes one consent of a user (the portal's "disconnect"). When it was the client's last one,
   * the redirect URIs approved for that client are forgotten too.
   */
  revoke(userId: string, id: string): boolean {
    const removed = this.db
      .delete(oauthConsents)
      .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.id, id)))
      .returning()
      .all();
    const row = removed[0];
    if (!row) return false;
    if (!this.hasClient(userId, row.clientId)) {
      this.db
        .delete(oauthConsentRedirects)
        .where(
          and(eq(oauthConsentRedirects.userId, userId), eq(oauthConsentRedirects.clientId, row.clientId)),
        )
        .run();
    }
    return true;
  }
}
