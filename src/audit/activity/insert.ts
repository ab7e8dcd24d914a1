import type { Database } from "bun:sqlite";
import { dictionaryText, type EncodedSegment, SegmentEncoder, SegmentReader } from "./segment.ts";

// A segment's ids start after the newest stored row's, unless the caller places it (the rows of
// the old row table keep their ids, src/audit/activity/row-table.ts).
const INSERT_SEGMENT = `INSERT INTO mcp_activity_segments
  (first_id, last_id, rows, min_at, max_at, errors, denied, rate_limited)
  SELECT first, first + ?1, ?2, ?3, ?4, ?5, ?6, ?7
  FROM (SELECT coalesce(?8, (SELECT max(last_id) + 1 FROM mcp_activity_segments), 1) AS first)`;
const INSERT_DATA = "INSERT INTO mcp_activity_segment_data (segment_id, strings, data) VALUES (?, ?, ?)";
// The newest segment holds the largest ids: a new one always starts after them.
const NEWEST = `SELECT s.id, s.first_id AS firstId, s.last_id AS lastId, s.rows, d.strings, d.data
  FROM mcp_activity_segments AS s JOIN mcp_activity_segment_data AS d ON d.segment_id = s.id
  ORDER BY s.id DESC LIMIT 1`;
const DELETE_SEGMENT = "DELETE FROM mcp_activity_segments WHERE id = ?";
const DELETE_DATA = "DELETE FROM mcp_activity_segment_data WHERE segment_id = ?";

interface Newest {
  id: number;
  firstId: number;
  lastId: number;
  rows: number;
  strings: string;
  data: Uint8Array;
}

/**
 * Stores segments (src/audit/activity/segment.ts): the summary and the payload of each, in one
 * transaction. A segment that would fit into the newest one (together at most `mergeUpTo` rows) is
 * merged into it: a quiet gateway flushes a few rows at a time, and a segment per flush would make
 * every query read thousands of tiny ones. Shared by the main-thread store and the writer thread
 * (src/audit/activity/writer-worker.ts), which has its own connection: this file imports no
 * drizzle, so the worker's bundle stays small.
 */
export function segmentInserter(
  sqlite: Database,
  mergeUpTo = 0,
): (segment: EncodedSegment, firstId?: number) => void {
  const summary = sqlite.prepare(INSERT_SEGMENT);
  const data = sqlite.prepare(INSERT_DATA);
  const newest = sqlite.prepare<Newest, []>(NEWEST);
  const deleteSegment = sqlite.prepare(DELETE_SEGMENT);
  const deleteData = sqlite.prepare(DELETE_DATA);
  const insert = (segment: EncodedSegment, firstId: number | null) => {
    const { lastInsertRowid } = summary.run(
      segment.lastOffset,
      segment.rows,
      segment.minAt,
      segment.maxAt,
      segment.errors,
      segment.denied,
      segment.rateLimited,
      firstId,
    );
    data.run(lastInsertRowid, dictionaryText(segment.strings), segment.data);
  };
  const store = sqlite.transaction((segment: EncodedSegment, firstId?: number) => {
    const last = firstId === undefined && segment.rows < mergeUpTo ? newest.get() : null;
    if (last === null || last.rows + segment.rows > mergeUpTo) {
      insert(segment, firstId ?? null);
      return;
    }
    const merged = new SegmentEncoder(last.rows + segment.rows);
    const before = new SegmentReader(last.strings, last.data);
    for (let i = 0; i < before.rows; i++) merged.add(before.row(i), before.idOffset(i));
    const added = new SegmentReader(dictionaryText(segment.strings), segment.data);
    const start = last.lastId + 1 - last.firstId;
    for (let i = 0; i < added.rows; i++) merged.add(added.row(i), start + added.idOffset(i));
    deleteData.run(last.id);
    deleteSegment.run(last.id);
    insert(merged.take() as EncodedSegment, last.firstId);
  });
  // IMMEDIATE: the merge reads the newest segment before writing; a deferred transaction whose
  // snapshot another writer (the retention job) overtook in between could not write at all.
  return (segment, firstId) => store.immediate(segment, firstId);
}
