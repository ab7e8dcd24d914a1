// CPU per stored MCP activity row, in the two halves the gateway splits it into: what the thread
// that serves requests spends handing a row over, and what the writer thread spends storing it.
// "segments (now)": each row packed into the batch being built (SegmentEncoder.add), one segment
// stored per batch (segmentInserter). "row table (before)": each batch JSON.stringify'd and parsed
// again, a row inserted per request with the `at` and outcome indexes and the block index
// (migrations up to 0010, the inserter of that schema kept below). Rows like a busy gateway's: a few
// users and servers, batches of ACTIVITY_BATCH_SIZE's default. The two alternate in rounds, median
// of the per-round CPU per row. Not part of `bun test`. See bench/README.md.
// Usage: bun bench/activity-insert.ts [--rows 200000] [--rounds 5] [--users 10]
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { segmentInserter } from "../src/audit/activity/insert.ts";
import { ROW_TABLE_COLUMNS, rowTableValues } from "../src/audit/activity/row-table.ts";
import { type EncodedSegment, SegmentEncoder } from "../src/audit/activity/segment.ts";
import type { McpActivity } from "../src/audit/activity/types.ts";
import { openDatabase } from "../src/db/connection.ts";
import { applyMigrations, embeddedMigrations } from "../src/db/migrate.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    rounds: { type: "string", default: "5" },
    users: { type: "string", default: "10" },
  },
});
const ROWS = Number(values.rows);
const BATCH = 2000;
const users = Array.from({ length: Number(values.users) }, () => crypto.randomUUID());
const dir = mkdtempSync(join(tmpdir(), "authmcp-activity-insert-"));

const INSERT_ROW = `INSERT INTO mcp_activity (${ROW_TABLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_BLOCK = `INSERT INTO mcp_activity_blocks (kind, key, first_id, last_id) VALUES (?, ?, ?, ?)
  ON CONFLICT (kind, key, first_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`;

/** The writer of the row table (before the segments): a row per request, a block per user and server. */
function rowTableInserter(sqlite: Database): (rows: readonly McpActivity[]) => void {
  const insert = sqlite.prepare(INSERT_ROW);
  const insertBlock = sqlite.prepare(INSERT_BLOCK);
  return sqlite.transaction((rows: readonly McpActivity[]) => {
    const blocks = new Map<string, [kind: string, key: string, first: number, last: number]>();
    for (const r of rows) {
      const id = Number(insert.run(...rowTableValues(r)).lastInsertRowid);
      for (const [kind, key] of [
        ["user", r.userId],
        ["server", r.server],
      ] as const) {
        if (key === null) continue;
        const block = blocks.get(`${kind}\0${key}`);
        if (block === undefined) blocks.set(`${kind}\0${key}`, [kind, key, id, id]);
        else block[3] = id;
      }
    }
    for (const block of blocks.values()) insertBlock.run(...block);
  });
}

function batches(): McpActivity[][] {
  const all: McpActivity[][] = [];
  const start = Date.now();
  for (let first = 0; first < ROWS; first += BATCH) {
    const batch: McpActivity[] = [];
    for (let n = first; n < Math.min(ROWS, first + BATCH); n++)
      batch.push({
        at: start + n,
        userId: users[n % users.length] as string,
        clientId: "authmcp-gateway",
        server: `server-${n % 3}`,
        endpoint: "server",
        sessionId: "Nd7VygfZpuNzdJhmW6cJBs6I-6kkjo0T",
        method: "tools/call",
        target: "echo",
        outcome: n % 100 === 0 ? "error" : "ok",
        httpStatus: 200,
        rpcErrorCode: n % 100 === 0 ? -32000 : null,
        latencyMs: 1.2,
        requestBytes: 120,
        responseBytes: 75,
        ip: "127.0.0.1",
      });
    all.push(batch);
  }
  return all;
}

const segmentsAt = embeddedMigrations().findIndex((m) =>
  m.sql.some((s) => s.includes("CREATE TABLE `mcp_activity_segments`")),
);
/** Each variant: the hand-over on the request's thread, then the store on the writer's. */
interface Variant {
  handOver(rows: readonly McpActivity[]): unknown;
  store(handed: unknown): void;
}
const variants: Record<string, (sqlite: Database) => Variant> = {
  "row table (before)": (sqlite) => {
    const insert = rowTableInserter(sqlite);
    return {
      handOver: (rows) => JSON.stringify(rows),
      store: (json) => insert(JSON.parse(json as string) as McpActivity[]),
    };
  },
  "segments (now)": (sqlite) => {
    const encoder = new SegmentEncoder(BATCH);
    const insert = segmentInserter(sqlite);
    return {
      handOver: (rows) => {
        for (const row of rows) encoder.add(row);
        return encoder.take();
      },
      store: (segment) => insert(segment as EncodedSegment),
    };
  },
};

const cpuMicros = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};
const data = batches();
const results: Record<string, { handOver: number[]; store: number[] }> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  const names = Object.keys(variants);
  for (const name of round % 2 === 1 ? names.reverse() : names) {
    const db = openDatabase(join(dir, `${round}-${name.replace(/\W+/g, "-")}.db`), { busyTimeoutMs: 5000 });
    // The row table's schema stops before the segments (whose conversion would drop it).
    applyMigrations(
      db,
      name.startsWith("row") ? embeddedMigrations().slice(0, segmentsAt) : embeddedMigrations(),
    );
    const variant = (variants[name] as (sqlite: Database) => Variant)(db.$client);
    let start = cpuMicros();
    const handed = data.map((batch) => variant.handOver(batch));
    const handOver = cpuMicros() - start;
    start = cpuMicros();
    for (const batch of handed) variant.store(batch);
    const store = cpuMicros() - start;
    const result = results[name] ?? { handOver: [], store: [] };
    results[name] = result;
    result.handOver.push(handOver / ROWS);
    result.store.push(store / ROWS);
    db.$client.close();
  }
}
console.log(`${ROWS} rows in batches of ${BATCH}, ${users.length} users, 3 servers, ${values.rounds} rounds`);
const format = (cpu: number[]) =>
  `${median(cpu).toFixed(2)}  (rounds ${cpu.map((x) => x.toFixed(2)).join(" ")})`;
for (const [name, cpu] of Object.entries(results)) {
  console.log(`${name.padEnd(20)} request thread µs/row ${format(cpu.handOver)}`);
  console.log(`${"".padEnd(20)} writer thread µs/row  ${format(cpu.store)}`);
}
rmSync(dir, { recursive: true, force: true });
