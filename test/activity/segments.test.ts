// Stored MCP activity as segments (src/audit/activity/segment.ts, store.ts): pages, totals,
// hourly counts and retention must be exactly what the rows say, whichever shortcut a query takes
// (summaries, dictionaries, or reading rows); rows of the old row table keep their ids.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROW_TABLE_COLUMNS, rowTableValues } from "../../src/audit/activity/row-table.ts";
import {
  dictionaryText,
  encodeSegment,
  SegmentEncoder,
  SegmentReader,
} from "../../src/audit/activity/segment.ts";
import { type ActivityFilter, ActivityStore, type StoredActivity } from "../../src/audit/activity/store.ts";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations, embeddedMigrations } from "../../src/db/migrate.ts";
import { tempDir } from "../support/context.ts";

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

function row(n: number, fields: Partial<McpActivity> = {}): McpActivity {
  return {
    // Arrival order differs from the order rows are stored (a long call is recorded late).
    at: T0 + n * 1000 + (n % 4 === 0 ? -2500 : n % 10 === 7 ? -45_000 : 0),
    userId: n % 13 === 0 ? null : `user-${n % 7}`,
    clientId: "client",
    server: n % 3 === 0 ? "alpha" : "beta",
    endpoint: n % 9 === 0 ? "aggregate" : "server",
    sessionId: n % 2 === 0 ? `session-${n % 5}` : null,
    method: n % 5 === 0 ? "tools/list" : "tools/call",
    target: n % 5 === 0 ? null : `tool-${n % 3}`,
    outcome: n % 11 === 0 ? "error" : n % 17 === 0 ? "denied" : n % 19 === 0 ? "rate_limited" : "ok",
    httpStatus: n % 17 === 0 ? 403 : 200,
    rpcErrorCode: n % 11 === 0 ? -32000 : null,
    latencyMs: n % 50,
    requestBytes: 10 + n,
    responseBytes: n % 6 === 0 ? null : 20 + n,
    ip: "127.0.0.1",
    ...fields,
  };
}

function migratedDb() {
  const db = openDatabase(join(tempDir(), "gw.db"), { busyTimeoutMs: 1000 });
  applyMigrations(db);
  return db;
}

const RARE = new Set([37, 301, 599]);
const COUNT = 600;

/**
 * 600 rows over 10 minutes in batches of 1 to 40 (ids 1–600), a rare user in three of them; with
 * `mergeUpTo`, batches are merged into the newest segment up to that many rows.
 */
function filled(mergeUpTo = 0) {
  const db = migratedDb();
  const store = new ActivityStore(db.$client, mergeUpTo);
  const rows: StoredActivity[] = [];
  let n = 0;
  for (let batch = 0; n < COUNT; batch++) {
    const segment: McpActivity[] = [];
    for (let i = 0; i < (batch % 40) + 1 && n < COUNT; i++, n++) {
      const r = row(n, RARE.has(n) ? { userId: "rare", server: "gamma" } : {});
      segment.push(r);
      rows.push({ id: n + 1, ...r });
    }
    store.insertAll(segment);
  }
  return { db, store, rows };
}

function expected(rows: StoredActivity[], filter: ActivityFilter): StoredActivity[] {
  return rows
    .filter(
      (r) =>
        (filter.userId === undefined || r.userId === filter.userId) &&
        (filter.server === undefined || r.server === filter.server) &&
        (filter.method === undefined || r.method === filter.method) &&
        (filter.outcome === undefined || r.outcome === filter.outcome) &&
        (filter.from === undefined || r.at >= filter.from) &&
        (filter.to === undefined || r.at < filter.to),
    )
    .sort((a, b) => b.at - a.at || b.id - a.id);
}

const FILTERS: ActivityFilter[] = [
  {},
  { userId: "rare" },
  { userId: "user-3" },
  { userId: "user-3", method: "tools/list" },
  { userId: "user-5", outcome: "error" },
  { userId: "user-2", server: "alpha", from: T0 + 100_000, to: T0 + 400_000 },
  { server: "gamma" },
  { server: "beta", outcome: "ok", from: T0 + 250_000 },
  { outcome: "ok" },
  { outcome: "error" },
  { outcome: "denied" },
  { outcome: "rate_limited" },
  { outcome: "error", from: T0 + 30_000, to: T0 + 500_500 },
  { from: T0 + 123_456 },
  { to: T0 + 7_000 },
  { from: T0 + 200_000, to: T0 + 200_001 },
  { method: "tools/list" },
  { userId: "nobody" },
  { method: "" },
  { from: T0 + 10_000_000 },
];

describe("stored activity: segments", () => {
  test.each([0, 64])(
    "every filter's pages and total are exactly the matching rows, newest first (merged up to %d rows)",
    (mergeUpTo) => {
      const { db, store, rows } = filled(mergeUpTo);
      const sizes = db.$client
        .query<{ rows: number }, []>("SELECT rows FROM mcp_activity_segments ORDER BY id")
        .all()
        .map((s) => s.rows);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(COUNT);
      // Unmerged: a segment per batch (1, 2, …, 34 rows, then the last 5). Merged: at most 64 rows each.
      if (mergeUpTo === 0) expect(sizes).toEqual([...Array.from({ length: 34 }, (_, i) => i + 1), 5]);
      else {
        expect(sizes.length).toBeLessThan(40);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
      }
      for (const filter of FILTERS) {
        const want = expected(rows, filter);
        const label = JSON.stringify(filter);
        const all = store.page(filter, 1000, 0);
        expect(all.rows, label).toEqual(want);
        expect(all.total, label).toBe(want.length);
        for (const [limit, offset] of [
          [1, 0],
          [5, 5],
          [50, 13],
          [7, want.length - 3],
          [10, want.length + 10],
          [0, 0],
        ] as const) {
          const page = store.page(filter, limit, offset);
          expect(
            page.rows.map((r) => r.id),
            `${label} ${limit}/${offset}`,
          ).toEqual(want.slice(offset, offset + limit).map((r) => r.id));
          expect(page.total, `${label} ${limit}/${offset}`).toBe(want.length);
        }
      }
      expect(store.page({ userId: "rare" }, 10, 0).rows[0]).toEqual({
        id: 600,
        ...row(599, { userId: "rare", server: "gamma" }),
      });
      db.$client.close();
    },
  );

  test("a row recorded late (a long call) is found before newer segments' older rows", () => {
    const db = migratedDb();
    const store = new ActivityStore(db.$client);
    store.insertAll([row(1, { at: T0 + 95 })]);
    store.insertAll([row(2, { at: T0 + 100 }), row(3, { at: T0 + 90 })]);
    store.insertAll([row(4, { at: T0 + 10 }), row(5, { at: T0 + 99 })]);
    const ats = (limit: number, offset: number) => store.page({}, limit, offset).rows.map((r) => r.at - T0);
    expect(ats(2, 0)).toEqual([100, 99]);
    expect(ats(2, 2)).toEqual([95, 90]);
    expect(ats(1, 4)).toEqual([10]);
    db.$client.close();
  });

  test("hourly counts are the rows' outcomes per hour, segments within one hour or across two", () => {
    const db = migratedDb();
    const store = new ActivityStore(db.$client);
    const start = T0 - (T0 % HOUR);
    const all: McpActivity[] = [];
    // Segments of 10 rows 7 minutes apart each: some lie within one hour, some straddle two.
    for (let s = 0; s < 30; s++) {
      const segment = Array.from({ length: 10 }, (_, i) =>
        row(s * 10 + i, { at: start - HOUR + s * 7 * 60_000 + i * 50_000 }),
      );
      all.push(...segment);
      store.insertAll(segment);
    }
    const hours = store.countByHour(start, 3, HOUR);
    const want = [0, 1, 2].map((h) => {
      const inHour = all.filter((r) => r.at >= start + h * HOUR && r.at < start + (h + 1) * HOUR);
      return {
        requests: inHour.length,
        errors: inHour.filter((r) => r.outcome === "error").length,
        refused: inHour.filter((r) => r.outcome === "denied" || r.outcome === "rate_limited").length,
      };
    });
    expect(hours).toEqual(want);
    expect(want[0]?.requests).toBeGreaterThan(0);
    expect(want[1]?.errors).toBeGreaterThan(0);
    db.$client.close();
  });

  test.each([0, 64])(
    "retention deletes exactly the rows before the cutoff; the rest keep their ids (merged up to %d)",
    (mergeUpTo) => {
      const { db, store, rows } = filled(mergeUpTo);
      const cutoffs = [T0 + 7_000, T0 + 123_456, T0 + 300_000, T0 + 300_000, T0 + 598_000];
      let left = rows;
      for (const cutoff of cutoffs) {
        const kept = left.filter((r) => r.at >= cutoff);
        expect(store.deleteBefore(cutoff)).toBe(left.length - kept.length);
        left = kept;
        for (const filter of [{}, { userId: "user-3" }, { outcome: "error" as const }]) {
          const page = store.page(filter, 1000, 0);
          expect(page.rows).toEqual(expected(left, filter));
          expect(page.total).toBe(expected(left, filter).length);
        }
      }
      // New rows continue after the newest id ever stored.
      store.insertAll([row(1000), row(1001)]);
      expect(store.page({}, 2, 0).rows.map((r) => r.id)).toEqual([602, 601]);
      expect(store.deleteBefore(T0 + 10_000_000)).toBe(left.length + 2);
      expect(store.page({}, 10, 0)).toEqual({ rows: [], total: 0 });
      expect(db.$client.query("SELECT count(*) AS n FROM mcp_activity_segment_data").get()).toEqual({ n: 0 });
      db.$client.close();
    },
  );

  test("strings of any content and sizes, nulls and large numbers come back as stored", () => {
    const db = migratedDb();
    const store = new ActivityStore(db.$client);
    const odd: McpActivity[] = [
      row(1, {
        userId: "ユーザー 🙂",
        clientId: "",
        server: "",
        sessionId: "x".repeat(100_000),
        method: '"}]\u0000\n',
        target: "<script>alert(1)</script>",
        rpcErrorCode: -9_007_199_254_740_991,
        requestBytes: 2 ** 40,
        responseBytes: 0,
        latencyMs: 12.6,
        ip: "::1",
      }),
      row(2, { userId: null, clientId: null, sessionId: null, target: null, ip: null, responseBytes: null }),
    ];
    store.insertAll(odd);
    const stored = store.page({}, 10, 0).rows.sort((a, b) => a.id - b.id);
    expect(stored).toEqual([
      { id: 1, ...(odd[0] as McpActivity), latencyMs: 13 },
      { id: 2, ...(odd[1] as McpActivity) },
    ]);
    expect(store.page({ method: '"}]\u0000\n' }, 10, 0).total).toBe(1);
    expect(store.page({ userId: "ユーザー 🙂", server: "" }, 10, 0).total).toBe(1);
    db.$client.close();
  });

  test("one encoder over several batches: each batch's strings come back, repeated or alternating", () => {
    const encoder = new SegmentEncoder(4);
    const batches = [
      [row(1, { userId: "a" }), row(2, { userId: "a" }), row(3, { userId: "b" }), row(4, { userId: "a" })],
      [row(5, { userId: "b" }), row(6, { userId: null }), row(7, { userId: "b" })],
    ];
    for (const batch of batches) {
      for (const r of batch) encoder.add(r);
      const segment = encoder.take();
      if (segment === undefined) throw new Error("no segment");
      const reader = new SegmentReader(dictionaryText(segment.strings), segment.data);
      expect(Array.from({ length: reader.rows }, (_, i) => reader.row(i))).toEqual(batch);
    }
    expect(encoder.take()).toBeUndefined();
  });

  test("a blob this version does not read is refused, not misread", () => {
    const segment = encodeSegment([row(1)]);
    if (segment === undefined) throw new Error("no segment");
    expect(new SegmentReader(dictionaryText(segment.strings), segment.data).row(0)).toEqual({ ...row(1) });
    const otherFormat = segment.data.slice();
    otherFormat[0] = 9;
    expect(() => new SegmentReader(dictionaryText(segment.strings), otherFormat)).toThrow("unknown format 9");
    expect(
      () =>
        new SegmentReader(dictionaryText(segment.strings), segment.data.slice(0, segment.data.length - 1)),
    ).toThrow("does not match");
  });

  test("rows of the old row table become segments with their ids; the old tables are dropped", () => {
    const db = openDatabase(join(tempDir(), "gw.db"), { busyTimeoutMs: 1000 });
    const migrations = embeddedMigrations();
    const upTo = migrations.findIndex((m) =>
      m.sql.some((s) => s.includes("CREATE TABLE `mcp_activity_segments`")),
    );
    expect(upTo).toBeGreaterThan(0);
    applyMigrations(db, migrations.slice(0, upTo));
    const insert = db.$client.prepare(
      `INSERT INTO mcp_activity (id, ${ROW_TABLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const old: StoredActivity[] = [];
    // 1,203 rows with gaps in their ids (retention deleted some): three segments and a bit.
    for (let n = 0; n < 1203; n++) {
      const r = { id: 10 + n * 3, ...row(n) };
      old.push(r);
      insert.run(r.id, ...rowTableValues(r));
    }
    applyMigrations(db, migrations);
    const tables = db.$client
      .query<{ name: string }, []>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'mcp_activity%'",
      )
      .all()
      .map((t) => t.name)
      .sort();
    expect(tables).toEqual(["mcp_activity_segment_data", "mcp_activity_segments"]);
    const store = new ActivityStore(db.$client);
    for (const filter of [{}, { userId: "user-4" }, { outcome: "denied" as const }]) {
      expect(store.page(filter, 2000, 0).rows).toEqual(expected(old, filter));
    }
    store.insertAll([row(5000)]);
    expect(store.page({}, 1, 0).rows[0]?.id).toBe(10 + 1202 * 3 + 1);
    // Applying again changes nothing.
    applyMigrations(db, migrations);
    expect(store.page({}, 1, 0).total).toBe(1204);
    db.$client.close();
  });
});
