import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
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
    /** No token of the family outlives this, whatever the rotations (null: rows from before it existed). */
    familyExpiresAt: integer("family_expires_at"),
    rotatedAt: integer("rotated_at"),
    revokedAt: integer("revoked_at"),
    /**
     * The answer that rotated this token (access + refresh token), AES-GCM sealed, kept only while
     * the grace window lets this token be presented again and its successor is still current.
     */
    successorSealed: text("successor_sealed"),
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

/**
 * "Every access token of this client (for this user, or for all users when user_id is '') issued at
 * or before revoked_before is revoked": consent revocation and client deletion. Access tokens are
 * stateless, so this marker is how they are revoked; kept until the last such token has expired.
 */
export const revokedTokenCutoffs = sqliteTable(
  "revoked_token_cutoffs",
  {
    /** '' for every client (a user's tokens of any client: password reset, account disabled). */
    clientId: text("client_id").notNull(),
    /** '' for every user of the client. */
    userId: text("user_id").notNull(),
    revokedBefore: integer("revoked_before").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.userId] })],
);
