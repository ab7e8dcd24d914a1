import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Tool-definition pinning (src/audit/pinning). Server ids are not foreign keys: servers from the
 * config file are not rows of mcp_servers. Times are Unix milliseconds.
 */
export const serverPinning = sqliteTable("server_pinning", {
  serverId: text("server_id").primaryKey(),
  /** "off" | "warn" | "block-changed" */
  mode: text("mode").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The approved definition of each tool, prompt and resource template of a server. */
export const toolPins = sqliteTable(
  "tool_pins",
  {
    serverId: text("server_id").notNull(),
    /** "tool" | "prompt" | "resource_template" */
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    /** SHA-256 (hex) of the canonical JSON of the definition. */
    hash: text("hash").notNull(),
    definition: text("definition").notNull(),
    approvedAt: integer("approved_at").notNull(),
    approvedBy: text("approved_by"),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.kind, t.name] })],
);

/** The latest definition seen that differs from the approved one (or has none): what awaits review. */
export const toolPinChanges = sqliteTable(
  "tool_pin_changes",
  {
    serverId: text("server_id").notNull(),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    hash: text("hash").notNull(),
    definition: text("definition").notNull(),
    /** JSON array of the tool-definition findings of this definition (ids and severities). */
    findings: text("findings").notNull().default("[]"),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.kind, t.name] })],
);
