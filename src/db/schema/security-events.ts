import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The stored security log (src/audit/security-events): one row per recorded event. Written in
 * batches off the request path; read by GET /admin/api/security-logs, newest first; trimmed by the
 * retention job. No foreign keys: an event outlives the user or client it names. Times are Unix
 * milliseconds; `details` is JSON with secrets already masked.
 */
export const securityEvents = sqliteTable(
  "security_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    type: text("type").notNull(),
    severity: text("severity").notNull(),
    userId: text("user_id"),
    clientId: text("client_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: text("details").notNull(),
  },
  (t) => [
    index("security_events_at").on(t.at),
    index("security_events_type_at").on(t.type, t.at),
    index("security_events_user_at").on(t.userId, t.at),
    index("security_events_ip_at").on(t.ip, t.at),
  ],
);
