import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Stored MCP activity (src/audit/activity/types.ts): one segment per batch the writer stores, its
 * rows packed in one blob with a dictionary of their strings (src/audit/activity/segment.ts). An
 * insert per row with its index cost the writer about 3.5 µs of CPU per request, one insert per
 * batch costs a fraction of a µs (bench/README.md). Queries read the summaries below, then the
 * segments they cannot answer from them (src/audit/activity/store.ts).
 *
 * Row ids run from `first_id` to `last_id` within a segment (each row keeps its offset), and
 * a new segment starts after the largest `last_id`. No foreign keys: rows outlive users and servers.
 */
export const mcpActivitySegments = sqliteTable(
  "mcp_activity_segments",
  {
    id: integer("id").primaryKey(),
    firstId: integer("first_id").notNull(),
    lastId: integer("last_id").notNull(),
    rows: integer("rows").notNull(),
    /** Unix ms: the earliest and latest arrival of a row in the segment. */
    minAt: integer("min_at").notNull(),
    maxAt: integer("max_at").notNull(),
    /** Rows with outcome "error", "denied", "rate_limited" (the others are "ok"). */
    errors: integer("errors").notNull(),
    denied: integer("denied").notNull(),
    rateLimited: integer("rate_limited").notNull(),
  },
  (t) => [index("mcp_activity_segments_max_at").on(t.maxAt)],
);

/** The payload of a segment, apart from its summary so that scanning summaries reads no blob. */
export const mcpActivitySegmentData = sqliteTable("mcp_activity_segment_data", {
  segmentId: integer("segment_id").primaryKey(),
  /** The dictionary the blob's string columns index: a JSON string per line (segment.ts). */
  strings: text("strings").notNull(),
  data: blob("data", { mode: "buffer" }).notNull(),
});
