import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/**
 * Refresh tokens: opaque, stored as SHA-256. Every rotation adds a row in the same family;
 * the replaced row gets `rotatedAt` (reuse of a rotated token revokes the family).
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    familyId: text("family_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    /** Resource (audience) the family was granted: refreshes may narrow, never widen. */
    resource: text("resource").notNull(),
    scope: text("scope").notNull(),
    /** jti of the access token issued together with this refresh token. */
    accessJti: text("access_jti").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    rotatedAt: integer("rotated_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("refresh_tokens_family").on(t.familyId), index("refresh_tokens_access_jti").on(t.accessJti)],
);

/** Access tokens revoked before their expiry (logout, revocation, family revocation). */
export const revokedAccessTokens = sqliteTable(
  "revoked_access_tokens",
  {
    jti: text("jti").primaryKey(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at").notNull(),
  },
  (t) => [index("revoked_access_tokens_expiry").on(t.expiresAt)],
);
