// CPU per stored MCP activity row, written as the gateway writes them (activityBatchInserter, one
// transaction per batch) into a database migrated like the gateway's, against the schema before the
// block index (migrations up to 0009: an index per user and per server, no blocks). Rows like a
// busy gateway's: a few users and servers, batches of ACTIVITY_BATCH_SIZE's default. Alternates the
// two in rounds, median of the per-round CPU per row. Not part of `bun test`. See bench/README.md.
// Usage: bun bench/activity-insert.ts [--rows 200000] [--rounds 5] [--users 10]
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { activityBatchInserter, INSERT_ACTIVITY, runInsert } from "../src/audit/activity/insert.ts";
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
const BATCH = 500;
const users = Array.from({ length: Number(values.users) }, () => crypto.randomUUID());
const dir = mkdtempSync(join(tmpdir(), "authmcp-activity-insert-"));

/** The insert of the schema before the block index: the row alone (its indexes do the rest). */
function rowOnlyInserter(sqlite: Database): (rows: readonly McpActivity[]) => void {
  const insert = sqlite.prepare(INSERT_ACTIVITY);
  return sqlite.transaction((rows: readonly McpActivity[]) => {
    for (const r of rows) runInsert(insert, r);
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

const blocksAt = embeddedMigrations().findIndex((m) => m.sql.some((s) => s.includes("mcp_activity_blocks")));
const variants = {
  "per-column indexes (before)": (file: string) => {
    const db = openDatabase(file, { busyTimeoutMs: 5000 });
    applyMigrations(db, embeddedMigrations().slice(0, blocksAt));
    return { db, insert: rowOnlyInserter(db.$client) };
  },
  "block index (now)": (file: string) => {
    const db = openDatabase(file, { busyTimeoutMs: 5000 });
    applyMigrations(db);
    return { db, insert: activityBatchInserter(db.$client) };
  },
};

const data = batches();
const results: Record<string, number[]> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (const name of round % 2 === 1 ? names.reverse() : names) {
    const file = join(dir, `${round}-${name.replace(/\W+/g, "-")}.db`);
    const { db, insert } = variants[name](file);
    const before = process.cpuUsage();
    for (const batch of data) insert(batch);
    const used = process.cpuUsage(before);
    const perRow = (used.user + used.system) / ROWS;
    results[name] = [...(results[name] ?? []), perRow];
    db.$client.close();
  }
}
console.log(`${ROWS} rows in batches of ${BATCH}, ${users.length} users, 3 servers, ${values.rounds} rounds`);
for (const [name, cpu] of Object.entries(results))
  console.log(
    `${name.padEnd(30)} CPU µs/row ${median(cpu).toFixed(2)}  (rounds ${cpu.map((x) => x.toFixed(2)).join(" ")})`,
  );
rmSync(dir, { recursive: true, force: true });
