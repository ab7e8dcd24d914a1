// The block index of stored MCP activity (src/db/schema/activity.ts, src/audit/activity/store.ts):
// user and server filters read each key's id ranges instead of an index per column. Both query
// plans (read the ranges, or walk the `at` index) must give the same pages.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ActivityFilter, ActivityStore } from "../../src/audit/activity/store.ts";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations, embeddedMigrations } from "../../src/db/migrate.ts";
import { tempDir } from "../support/context.ts";

const T0 = 1_800_000_000_000;

function row(n: number, fields: Partial<McpActivity> = {}): McpActivity {
  return {
    at: T0 + n,
    userId: `user-${n % 7}`,
    clientId: "client",
    server: n % 3 === 0 ? "alpha" : "beta",
    endpoint: "server",
    sessionId: null,
    method: n % 5 === 0 ? "tools/list" : "tools/call",
    target: null,
    outcome: n % 11 === 0 ? "error" : "ok",
    httpStatus: 200,
    rpcErrorCode: n % 11 === 0 ? -32000 : null,
    latencyMs: 1,
    requestBytes: 10,
    responseBytes: 20,
    ip: "127.0.0.1",
    ...fields,
  };
}

function migratedDb() {
  const db = openDatabase(join(tempDir(), "gw.db"), { busyTimeoutMs: 1000 });
  applyMigrations(db);
  return db;
}

/** 600 rows in batches of 1 to 40, a rare user ("rare") in three of them. */
function filled(blockScanRows?: number) {
  const db = migratedDb();
  const store = new ActivityStore(db, blockScanRows);
  let n = 0;
  for (let batch = 0; n < 600; batch++) {
    const rows: McpActivity[] = [];
    for (let i = 0; i < (batch % 40) + 1 && n < 600; i++, n++)
      rows.push(row(n, n === 37 || n === 301 || n === 599 ? { userId: "rare", server: "gamma" } : {}));
    store.insertAll(rows);
  }
  return { db, store };
}

const FILTERS: ActivityFilter[] = [
  { userId: "rare" },
  { userId: "user-3" },
  { userId: "user-3", method: "tools/list" },
  { userId: "user-5", outcome: "error" },
  { userId: "user-2", server: "alpha", from: T0 + 100, to: T0 + 400 },
  { server: "gamma" },
  { server: "beta", outcome: "ok", from: T0 + 250 },
  { userId: "nobody" },
];

describe("stored activity: user and server filters through blocks", () => {
  test("each filter's pages and total are exactly the matching rows, newest first, in both plans", () => {
    const ranges = filled(); // every key is read from its ranges
    const walk = filled(0); // every key walks the `at` index
    for (const filter of FILTERS) {
      const all = ranges.store.page(filter, 1000, 0);
      const expected = Array.from({ length: 600 }, (_, n) => ({ ...row(n), id: n + 1 }))
        .map((r) =>
          r.id === 38 || r.id === 302 || r.id === 600 ? { ...r, userId: "rare", server: "gamma" } : r,
        )
        .filter(
          (r) =>
            (filter.userId === undefined || r.userId === filter.userId) &&
            (filter.server === undefined || r.server === filter.server) &&
            (filter.method === undefined || r.method === filter.method) &&
            (filter.outcome === undefined || r.outcome === filter.outcome) &&
            (filter.from === undefined || r.at >= filter.from) &&
            (filter.to === undefined || r.at < filter.to),
        )
        .reverse();
      expect(
        all.rows.map((r) => r.id),
        JSON.stringify(filter),
      ).toEqual(expected.map((r) => r.id));
      expect(all.total, JSON.stringify(filter)).toBe(expected.length);
      expect(walk.store.page(filter, 1000, 0), JSON.stringify(filter)).toEqual(all);
      // Pages: the same rows, in order, cut by limit and offset.
      const second = ranges.store.page(filter, 5, 5);
      expect(second.rows.map((r) => r.id)).toEqual(expected.slice(5, 10).map((r) => r.id));
      expect(walk.store.page(filter, 5, 5)).toEqual(second);
    }
    expect(ranges.store.page({ userId: "rare" }, 10, 0).rows[0]).toMatchObject({
      id: 600,
      userId: "rare",
      server: "gamma",
      method: "tools/call",
      endpoint: "server",
    });
    ranges.db.$client.close();
    walk.db.$client.close();
  });

  test("one block per user and per server of each batch, with the batch's id range", () => {
    const db = migratedDb();
    const store = new ActivityStore(db);
    store.insertAll([
      row(0, { userId: "a" }),
      row(1, { userId: "b" }),
      row(2, { userId: "a" }),
      row(3, { userId: null }),
    ]);
    store.insertAll([row(4, { userId: "b", server: "beta" })]);
    const blocks = db.$client
      .query(
        "SELECT kind, key, first_id AS first, last_id AS last FROM mcp_activity_blocks ORDER BY kind, key, first_id",
      )
      .all();
    expect(blocks).toEqual([
      { kind: "server", key: "alpha", first: 1, last: 4 },
      { kind: "server", key: "beta", first: 2, last: 3 },
      { kind: "server", key: "beta", first: 5, last: 5 },
      { kind: "user", key: "a", first: 1, last: 3 },
      { kind: "user", key: "b", first: 2, last: 2 },
      { kind: "user", key: "b", first: 5, last: 5 },
    ]);
    db.$client.close();
  });

  test("retention drops the blocks below the oldest row left; ids that come back are found once", () => {
    const db = migratedDb();
    const store = new ActivityStore(db);
    store.insertAll([row(0, { userId: "u" }), row(1, { userId: "u" }), row(2, { userId: "v" })]);
    store.insertAll([row(3, { userId: "u" })]);
    expect(store.deleteBefore(T0 + 2)).toBe(2);
    const keys = () =>
      db.$client
        .query<{ key: string }, []>(
          "SELECT key FROM mcp_activity_blocks WHERE kind = 'user' ORDER BY key, first_id",
        )
        .all()
        .map((b) => b.key);
    // u's block of the first batch (ids 1–2) is gone; its block of the second (id 4) and v's stay.
    expect(keys()).toEqual(["u", "v"]);
    expect(store.page({ userId: "u" }, 10, 0).rows.map((r) => r.id)).toEqual([4]);

    // The newest row deleted (it arrived before the others: a long call): its id comes back.
    db.$client.run("UPDATE mcp_activity SET at = ? WHERE id = 4", [T0 - 1]);
    expect(store.deleteBefore(T0)).toBe(1);
    store.insertAll([row(10, { userId: "u" }), row(11, { userId: "u" })]);
    const found = store.page({ userId: "u" }, 10, 0);
    expect(found.rows.map((r) => r.at)).toEqual([T0 + 11, T0 + 10]);
    expect(found.total).toBe(2);

    // Everything deleted: no block is left.
    expect(store.deleteBefore(T0 + 1000)).toBe(3);
    expect(db.$client.query("SELECT count(*) AS n FROM mcp_activity_blocks").get()).toEqual({ n: 0 });
    db.$client.close();
  });

  test("rows stored before the block index are found after the migration", () => {
    const db = openDatabase(join(tempDir(), "gw.db"), { busyTimeoutMs: 1000 });
    const migrations = embeddedMigrations();
    const upTo = migrations.findIndex((m) =>
      m.sql.some((statement) => statement.includes("mcp_activity_blocks")),
    );
    expect(upTo).toBeGreaterThan(0);
    applyMigrations(db, migrations.slice(0, upTo));
    const insert = db.$client.prepare(
      `INSERT INTO mcp_activity (at, user_id, client_id, server, endpoint, method, outcome, http_status,
       latency_ms, request_bytes) VALUES (?, ?, 'c', ?, 'server', 'tools/call', 'ok', 200, 1, 10)`,
    );
    for (let n = 0; n < 50; n++)
      insert.run(T0 + n, n % 10 === 0 ? "old-rare" : "old-common", n % 2 ? "s1" : "s2");
    applyMigrations(db, migrations);
    const store = new ActivityStore(db);
    store.insertAll([row(100, { userId: "old-rare", server: "s1" })]);
    const rare = store.page({ userId: "old-rare" }, 100, 0);
    expect(rare.rows.map((r) => r.at)).toEqual([T0 + 100, T0 + 40, T0 + 30, T0 + 20, T0 + 10, T0]);
    expect(store.page({ server: "s1" }, 100, 0).total).toBe(26);
    expect(store.page({ userId: "old-common", server: "s2" }, 100, 0).total).toBe(20);
    db.$client.close();
  });
});
