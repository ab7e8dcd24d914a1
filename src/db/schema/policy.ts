import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./identity.ts";

/** Groups of people, granted servers together. Times are Unix milliseconds. */
export const groups = sqliteTable(
  "groups",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("groups_name_lower").on(sql`lower(${t.name})`)],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: text("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user").on(t.userId)],
);

/**
 * A server granted to a user or a group, for every tool or a list of them, minus denied tools.
 * No foreign keys: servers of the config file are not stored, and the principal is a user or a
 * group; the policy service deletes a principal's grants with it.
 */
export const serverGrants = sqliteTable(
  "mcp_server_grants",
  {
    id: text("id").primaryKey(),
    serverId: text("server_id").notNull(),
    /** user | group */
    principalType: text("principal_type").notNull(),
    principalId: text("principal_id").notNull(),
    /** JSON array of tool names; null: every tool of the server. */
    allowedTools: text("allowed_tools"),
    /** JSON array of tool names refused to this principal whatever other grants allow. */
    deniedTools: text("denied_tools").notNull().default("[]"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("mcp_server_grants_principal").on(t.serverId, t.principalType, t.principalId),
    index("mcp_server_grants_by_principal").on(t.principalType, t.principalId),
  ],
);
