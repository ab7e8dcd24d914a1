import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/**
 * Personal access tokens (the user portal): opaque, `amcp_pat_` prefixed, stored only as SHA-256.
 * `servers` is a JSON array of server names, or null for every server the user may use (and `/mcp`).
 * Times are Unix milliseconds; `expiresAt` null means no expiry (only when the maximum lifetime is 0).
 */
export const personalTokens = sqliteTable(
  "personal_tokens",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    servers: text("servers"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("personal_tokens_user").on(t.userId)],
);
