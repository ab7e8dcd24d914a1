import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Setting values an administrator changed at run time (GET/PATCH /admin/api/settings). Applied at
 * start over the defaults, never over a value the environment, an env file, the config file or the
 * command line sets. `value` is the JSON of the parsed value.
 */
export const runtimeSettings = sqliteTable("runtime_settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** Id of the administrator who set it. */
  updatedBy: text("updated_by").notNull(),
});
