import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/**
 * OAuth clients: registered dynamically (RFC 7591), by an admin, or from the config file.
 * Secrets are kept only as SHA-256 hashes of high-entropy random values.
 */
export const oauthClients = sqliteTable("oauth_clients", {
  id: text("id").primaryKey(),
  secretHash: text("secret_hash"),
  name: text("name").notNull(),
  /** JSON array of redirect URIs. */
  redirectUris: text("redirect_uris").notNull(),
  /** JSON array of grant types. */
  grantTypes: text("grant_types").notNull(),
  tokenEndpointAuthMethod: text("token_endpoint_auth_method").notNull(),
  scope: text("scope").notNull(),
  /** "dynamic" | "admin" | "config" */
  source: text("source").notNull(),
  /** "active" | "pending" */
  status: text("status").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Authorization codes: single use, short-lived, stored as SHA-256. */
export const oauthCodes = sqliteTable(
  "oauth_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    clientId: text("client_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    codeChallenge: text("code_challenge").notNull(),
    resource: text("resource").notNull(),
    scope: text("scope").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    /** Refresh-token family issued from this code: revoked when the code is replayed. */
    familyId: text("family_id"),
  },
  (t) => [index("oauth_codes_expiry").on(t.expiresAt)],
);

/** Remembered consent per user, client, resource and scopes; revocable. */
export const oauthConsents = sqliteTable(
  "oauth_consents",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    resource: text("resource").notNull(),
    scope: text("scope").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("oauth_consents_user_client").on(t.userId, t.clientId)],
);

/**
 * Redirect URIs a person approved for a client (exact strings, loopback port included): remembered
 * consent of a public client is silent only for one of these (RFC 8252 §8.6).
 */
export const oauthConsentRedirects = sqliteTable(
  "oauth_consent_redirects",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.clientId, t.redirectUri] })],
);
