import type { Database, Statement } from "bun:sqlite";
import { segmentInserter } from "./insert.ts";
import {
  dictionaryLine,
  dictionaryText,
  type EncodedSegment,
  encodeSegment,
  OUTCOMES,
  SegmentEncoder,
  SegmentReader,
} from "./segment.ts";
import type { ActivityOutcome, McpActivity } from "./types.ts";

/** What `GET /admin/api/mcp-activity` and its stream filter by (all optional; time as Unix ms). */
export interface ActivityFilter {
  userId?: string;
  server?: string;
  method?: string;
  outcome?: ActivityOutcome;
  /** Inclusive. */
  from?: number;
  /** Exclusive. */
  to?: number;
}

export type StoredActivity = McpActivity & { id: number };

/** One hour of stored activity (the dashboard's chart). */
export interface HourCounts {
  requests: number;
  /** Outcome "error". */
  errors: number;
  /** Outcome "denied" or "rate_limited". */
  refused: number;
}

interface Summary {
  id: number;
  firstId: number;
  rows: number;
  minAt: number;
  maxAt: number;
  errors: number;
  denied: number;
  rateLimited: number;
}

/** A matching row met while collecting a page. */
interface Hit {
  at: number;
  id: number;
  segment: SegmentReader;
  index: number;
}

const SUMMARY_COLUMNS = `id, first_id AS firstId, rows, min_at AS minAt, max_at AS maxAt, errors, denied,
  rate_limited AS rateLimited`;

/**
 * The stored MCP activity: segments of packed rows (src/audit/activity/segment.ts), their
 * summaries in `mcp_activity_segments`. A page reads the summaries of the filter's time range,
 * newest first, and opens segments until it holds the page's rows; the total comes from the
 * summaries where they answer it (no filter but outcome, and a time range covering the segment)
 * and from the segments otherwise. A segment whose dictionary lacks the filter's user, server or
 * method is skipped without reading its rows.
 */
export class ActivityStore {
  private readonly insert: (segment: EncodedSegment, firstId?: number) => void;
  private readonly summaries: Statement<Summary, [number, number]>;
  private readonly strings: Statement<{ strings: string }, [number]>;
  private readonly data: Statement<{ data: Uint8Array }, [number]>;

  /**
   * `sqlite`: the gateway's connection (`ctx.db.$client`), or any connection to its database file.
   * `mergeUpTo`: see segmentInserter (the gateway passes ACTIVITY_BATCH_SIZE).
   */
  constructor(
    private readonly sqlite: Database,
    mergeUpTo = 0,
  ) {
    this.insert = segmentInserter(sqlite, mergeUpTo);
    this.summaries = sqlite.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM mcp_activity_segments WHERE max_at >= ? AND min_at < ? ORDER BY max_at DESC, id DESC`,
    );
    this.strings = sqlite.prepare("SELECT strings FROM mcp_activity_segment_data WHERE segment_id = ?");
    this.data = sqlite.prepare("SELECT data FROM mcp_activity_segment_data WHERE segment_id = ?");
  }

  /** Stores a segment (the main-thread writer; the writer thread has its own inserter). */
  insertSegment(segment: EncodedSegment, firstId?: number): void {
    this.insert(segment, firstId);
  }

  /** Stores rows as one segment. */
  insertAll(rows: readonly McpActivity[]): void {
    const segment = encodeSegment(rows);
    if (segment !== undefined) this.insert(segment);
  }

  /** Newest first (by arrival, then id). */
  page(filter: ActivityFilter, limit: number, offset: number): { rows: StoredActivity[]; total: number } {
    const need = offset + limit;
    let hits: Hit[] = [];
    let total = 0;
    let collecting = need > 0;
    for (const summary of this.summariesOf(filter.from, filter.to)) {
      if (withOutcome(summary, filter.outcome) === 0) continue;
      // Every row of a later segment arrived at or before its max_at: once the page's rows all
      // arrived after it, the rest is only counted.
      if (collecting && hits.length >= need && (hits[need - 1] as Hit).at > summary.maxAt) collecting = false;
      const counted = collecting ? undefined : countFromSummary(summary, filter);
      if (counted !== undefined) {
        total += counted;
        continue;
      }
      const segment = this.open(summary, filter);
      if (segment === undefined) continue;
      const test = rowTest(segment, filter);
      if (test === undefined) continue;
      for (let i = 0; i < segment.rows; i++) {
        if (!test(i)) continue;
        total++;
        if (collecting)
          hits.push({ at: segment.at(i), id: summary.firstId + segment.idOffset(i), segment, index: i });
      }
      if (collecting && hits.length >= need) hits = newestFirst(hits).slice(0, need);
    }
    const rows = newestFirst(hits)
      .slice(offset, need)
      .map((hit) => ({ id: hit.id, ...hit.segment.row(hit.index) }));
    return { rows, total };
  }

  /** Requests, errors and refusals per hour of `[start, start + hours × hourMs)`. */
  countByHour(start: number, hours: number, hourMs: number): HourCounts[] {
    const end = start + hours * hourMs;
    const result: HourCounts[] = Array.from({ length: hours }, () => ({
      requests: 0,
      errors: 0,
      refused: 0,
    }));
    const hourOf = (at: number) => Math.floor((at - start) / hourMs);
    for (const summary of this.summariesOf(start, end)) {
      const first = hourOf(summary.minAt);
      if (first === hourOf(summary.maxAt) && summary.minAt >= start && summary.maxAt < end) {
        const hour = result[first] as HourCounts;
        hour.requests += summary.rows;
        hour.errors += summary.errors;
        hour.refused += summary.denied + summary.rateLimited;
        continue;
      }
      const segment = this.open(summary, {});
      if (segment === undefined) continue;
      for (let i = 0; i < segment.rows; i++) {
        const at = segment.at(i);
        if (at < start || at >= end) continue;
        const hour = result[hourOf(at)] as HourCounts;
        const outcome = segment.outcomeCode(i);
        hour.requests++;
        if (outcome === 1) hour.errors++;
        else if (outcome > 1) hour.refused++;
      }
    }
    return result;
  }

  /**
   * Deletes the rows recorded before `epochMs`; returns how many. Segments wholly before it go;
   * a segment that straddles it is rewritten with its newer rows (their ids kept).
   */
  deleteBefore(epochMs: number): number {
    const client = this.sqlite;
    // IMMEDIATE: it reads before it writes, and the writer thread may commit in between.
    return client
      .transaction(() => {
        const old = "FROM mcp_activity_segments WHERE max_at < ?";
        const deleted =
          client.query<{ n: number | null }, [number]>(`SELECT sum(rows) AS n ${old}`).get(epochMs)?.n ?? 0;
        client.run(`DELETE FROM mcp_activity_segment_data WHERE segment_id IN (SELECT id ${old})`, [epochMs]);
        client.run(`DELETE ${old}`, [epochMs]);
        const straddling = client
          .query<Summary, [number, number]>(
            `SELECT ${SUMMARY_COLUMNS} FROM mcp_activity_segments WHERE min_at < ? AND max_at >= ?`,
          )
          .all(epochMs, epochMs);
        let rewritten = 0;
        for (const summary of straddling) rewritten += this.keepFrom(summary, epochMs);
        return deleted + rewritten;
      })
      .immediate();
  }

  /** Rewrites a segment with its rows from `epochMs` on; returns how many rows it dropped. */
  private keepFrom(summary: Summary, epochMs: number): number {
    const client = this.sqlite;
    const segment = this.open(summary, {});
    if (segment === undefined) return 0;
    const encoder = new SegmentEncoder(segment.rows);
    for (let i = 0; i < segment.rows; i++) {
      if (segment.at(i) >= epochMs) encoder.add(segment.row(i), segment.idOffset(i));
    }
    const kept = encoder.take();
    // Not empty: the segment has a row at its max_at, which is not before epochMs.
    if (kept === undefined) return 0;
    client.run(
      `UPDATE mcp_activity_segments SET rows = ?, min_at = ?, max_at = ?, errors = ?, denied = ?, rate_limited = ?
        WHERE id = ?`,
      [kept.rows, kept.minAt, kept.maxAt, kept.errors, kept.denied, kept.rateLimited, summary.id],
    );
    client.run("UPDATE mcp_activity_segment_data SET strings = ?, data = ? WHERE segment_id = ?", [
      dictionaryText(kept.strings),
      kept.data,
      summary.id,
    ]);
    return segment.rows - kept.rows;
  }

  private summariesOf(from = Number.MIN_SAFE_INTEGER, to = Number.MAX_SAFE_INTEGER): Summary[] {
    return this.summaries.all(from, to);
  }

  /**
   * The segment's rows, or undefined when its dictionary shows that no row has the filter's
   * user, server or method (the blob is then not read).
   */
  private open(summary: Summary, filter: ActivityFilter): SegmentReader | undefined {
    const dictionary = this.strings.get(summary.id)?.strings;
    if (dictionary === undefined) return undefined;
    for (const value of [filter.userId, filter.server, filter.method]) {
      if (value !== undefined && !dictionary.includes(dictionaryLine(value))) return undefined;
    }
    const data = this.data.get(summary.id)?.data;
    return data === undefined ? undefined : new SegmentReader(dictionary, data);
  }
}

/** How many of the segment's rows have the filter's outcome (all of them without one). */
function withOutcome(summary: Summary, outcome: ActivityOutcome | undefined): number {
  switch (outcome) {
    case undefined:
      return summary.rows;
    case "ok":
      return summary.rows - summary.errors - summary.denied - summary.rateLimited;
    case "error":
      return summary.errors;
    case "denied":
      return summary.denied;
    case "rate_limited":
      return summary.rateLimited;
  }
}

/** How many of the segment's rows match, when its summary tells; undefined: read the rows. */
function countFromSummary(summary: Summary, filter: ActivityFilter): number | undefined {
  if (filter.userId !== undefined || filter.server !== undefined || filter.method !== undefined)
    return undefined;
  const inRange =
    (filter.from === undefined || summary.minAt >= filter.from) &&
    (filter.to === undefined || summary.maxAt < filter.to);
  return inRange ? withOutcome(summary, filter.outcome) : undefined;
}

/** The filter as a test of a row of this segment; undefined when no row can pass. */
function rowTest(segment: SegmentReader, filter: ActivityFilter): ((i: number) => boolean) | undefined {
  const tests: ((i: number) => boolean)[] = [];
  const equals = (value: string | undefined, codes: Int32Array): boolean => {
    if (value === undefined) return true;
    const code = segment.codeOf(value);
    if (code === undefined) return false;
    tests.push((i) => codes[i] === code);
    return true;
  };
  if (!equals(filter.userId, segment.stringCodes("userId"))) return undefined;
  if (!equals(filter.server, segment.stringCodes("server"))) return undefined;
  if (!equals(filter.method, segment.stringCodes("method"))) return undefined;
  if (filter.outcome !== undefined) {
    const code = OUTCOMES.indexOf(filter.outcome);
    tests.push((i) => segment.outcomeCode(i) === code);
  }
  const { from, to } = filter;
  if (from !== undefined) tests.push((i) => segment.at(i) >= from);
  if (to !== undefined) tests.push((i) => segment.at(i) < to);
  return (i) => {
    for (const test of tests) if (!test(i)) return false;
    return true;
  };
}

function newestFirst(hits: Hit[]): Hit[] {
  return hits.sort((a, b) => b.at - a.at || b.id - a.id);
}

/** Whether a row (stored or live) passes a filter: the stream applies the list's filters with it. */
export function matchesFilter(activity: McpActivity, filter: ActivityFilter): boolean {
  return (
    (filter.userId === undefined || activity.userId === filter.userId) &&
    (filter.server === undefined || activity.server === filter.server) &&
    (filter.method === undefined || activity.method === filter.method) &&
    (filter.outcome === undefined || activity.outcome === filter.outcome) &&
    (filter.from === undefined || activity.at >= filter.from) &&
    (filter.to === undefined || activity.at < filter.to)
  );
}
