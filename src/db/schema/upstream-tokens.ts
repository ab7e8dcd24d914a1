import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/**
 * A person's upstream access and refresh tokens from their last sign-in with a provider that keeps
 * them (`keep_tokens`), for backends whose credential is `upstream_user_token`. `sealed` is the
 * token set as JSON, sealed with the gateway's SecretBox (AES-256-GCM) bound to (user, provider);
 * `expiresAt` (Unix ms, null: no expiry given) is kept in clear only to show when it runs out.
 */
export const upstreamTokens = sqliteTable(
  "upstream_tokens",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    sealed: text("sealed").notNull(),
    expiresAt: integer("expires_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.provider] })],
);
