import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { rateLimitOverrides } from "../../db/schema/rate-limits.ts";

export type OverrideKind = "server" | "user" | "group";

export interface RateOverride {
  kind: OverrideKind;
  id: string;
  max: number;
  windowSeconds: number;
}

/** The stored per-server, per-user and per-group MCP limits (read at start, written by the admin API). */
export class RateOverrideStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  all(): RateOverride[] {
    return this.db
      .select()
      .from(rateLimitOverrides)
      .all()
      .flatMap((row) =>
        row.subjectKind === "server" || row.subjectKind === "user" || row.subjectKind === "group"
          ? [{ kind: row.subjectKind, id: row.subjectId, max: row.max, windowSeconds: row.windowSeconds }]
          : [],
      );
  }

  set(override: RateOverride): void {
    const values = { max: override.max, windowSeconds: override.windowSeconds, updatedAt: this.now() };
    this.db
      .insert(rateLimitOverrides)
      .values({ subjectKind: override.kind, subjectId: override.id, ...values })
      .onConflictDoUpdate({
        target: [rateLimitOverrides.subjectKind, rateLimitOverrides.subjectId],
        set: values,
      })
      .run();
  }

  remove(kind: OverrideKind, id: string): void {
    this.db
      .delete(rateLimitOverrides)
      .where(and(eq(rateLimitOverrides.subjectKind, kind), eq(rateLimitOverrides.subjectId, id)))
      .run();
  }
}
