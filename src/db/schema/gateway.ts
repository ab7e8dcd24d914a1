import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Backend MCP servers created through the admin API (servers from the config file are not stored). */
export const mcpServers = sqliteTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    displayName: text("display_name").notNull(),
    url: text("url").notNull(),
    transport: text("transport").notNull().default("streamable-http"),
    authRequired: integer("auth_required", { mode: "boolean" }).notNull().default(true),
    /** JSON array of scope strings. */
    scopes: text("scopes").notNull().default("[]"),
    timeoutMs: integer("timeout_ms").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    openToAll: integer("open_to_all", { mode: "boolean" }).notNull().default(false),
    /** none | headers | jwt */
    userContext: text("user_context").notNull().default("none"),
    /** none | headers | bearer | client_credentials */
    credentialKind: text("credential_kind").notNull().default("none"),
    /** AES-256-GCM sealed JSON of the credential, bound to the server id; null when none. */
    credentialSealed: text("credential_sealed"),
    /** stdio servers: JSON {command, args, cwd?, envNames}; null for HTTP servers. */
    stdioCommand: text("stdio_command"),
    /** stdio servers: AES-256-GCM sealed JSON of the environment values, bound to the server id. */
    stdioEnvSealed: text("stdio_env_sealed"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("mcp_servers_name").on(t.name)],
);
