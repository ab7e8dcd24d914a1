import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { identityProviders } from "../../db/schema/index.ts";

export type IdentityProviderRow = typeof identityProviders.$inferSelect;

/** Drizzle queries on the providers added through the admin API; nothing else touches the table. */
export class IdentityProviderStore {
  constructor(private readonly db: Db) {}

  list(): IdentityProviderRow[] {
    return this.db.select().from(identityProviders).orderBy(asc(identityProviders.slug)).all();
  }

  bySlug(slug: string): IdentityProviderRow | undefined {
    return this.db.select().from(identityProviders).where(eq(identityProviders.slug, slug)).get();
  }

  upsert(row: IdentityProviderRow): void {
    this.db
      .insert(identityProviders)
      .values(row)
      .onConflictDoUpdate({
        target: identityProviders.slug,
        set: { settings: row.settings, secretSealed: row.secretSealed, updatedAt: row.updatedAt },
      })
      .run();
  }

  delete(slug: string): boolean {
    return (
      this.db.delete(identityProviders).where(eq(identityProviders.slug, slug)).returning().all().length > 0
    );
  }
}
