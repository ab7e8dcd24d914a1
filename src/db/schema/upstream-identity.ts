import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/**
 * Upstream identity providers added through the admin API (those of the config file are not
 * stored). `settings` is the provider's JSON without its secret; `secretSealed` is the client
 * secret sealed with the gateway's SecretBox (AES-256-GCM), never returned by the API.
 * Times are Unix milliseconds.
 */
export const identityProviders = sqliteTable("identity_providers", {
  slug: text("slug").primaryKey(),
  settings: text("settings").notNull(),
  secretSealed: text("secret_sealed"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * An upstream identity linked to one gateway user, by (provider, subject) only. Email and groups
 * are those of the last sign-in: what backends learn in the user context.
 */
export const upstreamIdentities = sqliteTable(
  "upstream_identities",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    email: text("email"),
    /** JSON array of the upstream group names. */
    groups: text("groups").notNull().default("[]"),
    createdAt: integer("created_at").notNull(),
    lastLoginAt: integer("last_login_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] }), index("upstream_identities_user").on(t.userId)],
);

/**
 * The upstream providers whose users may use a server of the admin API (servers of the config
 * file say it in `mcp_services.*.identity_providers`). No row: every user who may use it.
 */
export const serverIdentityProviders = sqliteTable("server_identity_providers", {
  serverId: text("server_id").primaryKey(),
  /** JSON array of provider slugs. */
  providers: text("providers").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
