import { and, eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Db } from "../db/connection.ts";
import { oauthConsents } from "../db/schema/index.ts";
import { scopeCovers } from "./scopes.ts";

export type ConsentRow = typeof oauthConsents.$inferSelect;

/** Consent remembered per user, client, resource and scopes. */
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

  grant(userId: string, clientId: string, resource: string, scope: string): void {
    if (this.has(userId, clientId, resource, scope)) return;
    this.db
      .insert(oauthConsents)
      .values({ id: crypto.randomUUID(), userId, clientId, resource, scope, createdAt: this.clock.now() })
      .run();
  }

  listForUser(userId: string): ConsentRow[] {
    return this.db.select().from(oauthConsents).where(eq(oauthConsents.userId, userId)).all();
  }

  /** Revokes one consent of a user (the portal's "disconnect"). */
  revoke(userId: string, id: string): boolean {
    return (
      this.db
        .delete(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.id, id)))
        .returning()
        .all().length > 0
    );
  }
}
