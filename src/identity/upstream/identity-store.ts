import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { upstreamIdentities } from "../../db/schema/index.ts";

export type UpstreamIdentityRow = typeof upstreamIdentities.$inferSelect;

/** Links between gateway users and upstream identities, by (provider, subject). */
export class UpstreamIdentityStore {
  constructor(private readonly db: Db) {}

  find(provider: string, subject: string): UpstreamIdentityRow | undefined {
    return this.db
      .select()
      .from(upstreamIdentities)
      .where(and(eq(upstreamIdentities.provider, provider), eq(upstreamIdentities.subject, subject)))
      .get();
  }

  ofUser(userId: string): UpstreamIdentityRow[] {
    return this.db
      .select()
      .from(upstreamIdentities)
      .where(eq(upstreamIdentities.userId, userId))
      .orderBy(asc(upstreamIdentities.provider), asc(upstreamIdentities.subject))
      .all();
  }

  save(row: UpstreamIdentityRow): void {
    this.db
      .insert(upstreamIdentities)
      .values(row)
      .onConflictDoUpdate({
        target: [upstreamIdentities.provider, upstreamIdentities.subject],
        set: { email: row.email, groups: row.groups, lastLoginAt: row.lastLoginAt },
      })
      .run();
  }

  delete(provider: string, subject: string): boolean {
    return (
      this.db
        .delete(upstreamIdentities)
        .where(and(eq(upstreamIdentities.provider, provider), eq(upstreamIdentities.subject, subject)))
        .returning()
        .all().length > 0
    );
  }
}
