import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { upstreamTokens } from "../../db/schema/index.ts";

export type UpstreamTokenRow = typeof upstreamTokens.$inferSelect;

/** Drizzle queries on the kept upstream tokens, one row per (user, provider). */
export class UpstreamTokenStore {
  constructor(private readonly db: Db) {}

  get(userId: string, provider: string): UpstreamTokenRow | undefined {
    return this.db
      .select()
      .from(upstreamTokens)
      .where(and(eq(upstreamTokens.userId, userId), eq(upstreamTokens.provider, provider)))
      .get();
  }

  save(row: UpstreamTokenRow): void {
    this.db
      .insert(upstreamTokens)
      .values(row)
      .onConflictDoUpdate({
        target: [upstreamTokens.userId, upstreamTokens.provider],
        set: { sealed: row.sealed, expiresAt: row.expiresAt, updatedAt: row.updatedAt },
      })
      .run();
  }

  /** Every person's tokens of a provider (the provider was removed). */
  deleteProvider(provider: string): void {
    this.db.delete(upstreamTokens).where(eq(upstreamTokens.provider, provider)).run();
  }

  delete(userId: string, provider: string): boolean {
    return (
      this.db
        .delete(upstreamTokens)
        .where(and(eq(upstreamTokens.userId, userId), eq(upstreamTokens.provider, provider)))
        .returning()
        .all().length > 0
    );
  }
}
