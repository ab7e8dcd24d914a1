import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Network allow-lists (CIDR) of servers, users and groups, set through the admin API (config-file
 * servers take theirs from `mcp_services.*.allowed_networks` and are not stored). No foreign keys:
 * config-file servers are not stored, and the API removes a deleted subject's list itself. Read
 * once at start into memory; the request path never reads this table.
 */
export const networkAllowLists = sqliteTable(
  "network_allow_lists",
  {
    /** server | user | group */
    subjectKind: text("subject_kind").notNull(),
    subjectId: text("subject_id").notNull(),
    /** JSON array of CIDR networks (or bare addresses), as the admin wrote them. */
    networks: text("networks").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subjectKind, t.subjectId] })],
);
