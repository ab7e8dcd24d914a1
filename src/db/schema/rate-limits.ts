import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Per-server, per-user and per-group overrides of the MCP rate limit (RATE_LIMIT_MCP_*), set through the
 * admin API. No foreign keys: config-file servers are not stored, and the API removes a deleted
 * subject's override itself. Read once at start into memory; the hot path never reads this.
 */
export const rateLimitOverrides = sqliteTable(
  "rate_limit_overrides",
  {
    /** server | user */
    subjectKind: text("subject_kind").notNull(),
    subjectId: text("subject_id").notNull(),
    max: integer("max").notNull(),
    windowSeconds: integer("window_seconds").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subjectKind, t.subjectId] })],
);
