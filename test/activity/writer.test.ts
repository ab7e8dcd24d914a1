// The activity writer thread (src/audit/activity/writer.ts): batches handed over by the queue are
// written through the worker's own SQLite connection; flush and close wait for them; rows the
// thread holds count towards the queue's bound; a failed batch is dropped, counted and logged.

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActivityQueue } from "../../src/audit/activity/queue.ts";
import { ActivityStore } from "../../src/audit/activity/store.ts";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { createActivityWriter, MainThreadWriter, ThreadWriter } from "../../src/audit/activity/writer.ts";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/logger.ts";
import { FakeClock } from "../support/clock.ts";
import { until } from "./helpers.ts";

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const task of cleanup.reverse()) await task();
  cleanup.length = 0;
});

function row(n: number, overrides: Partial<McpActivity> = {}): McpActivity {
  return {
    at: Date.UTC(2026, 11, 2) + n,
    userId: `user-${n}`,
    clientId: "client-a",
    server: "shared",
    endpoint: "server",
    sessionId: null,
    method: "tools/call",
    target: `tool "${n}" ünïcode`,
    outcome: "ok",
    httpStatus: 200,
    rpcErrorCode: null,
    latencyMs: 1.6,
    requestBytes: 80,
    responseBytes: null,
    ip: "127.0.0.1",
    ...overrides,
  };
}

/** A migrated database file, a queue writing to it through `createActivityWriter`, and its log lines. */
function stage(options: { maxRows: number; batchSize: number }, file?: string) {
  const path = file ?? join(mkdtempSync(join(tmpdir(), "authmcp-writer-")), "gateway.db");
  const db = openDatabase(path, { busyTimeoutMs: 5000 });
  applyMigrations(db);
  const logs: string[] = [];
  const logger = createLogger("info", { write: (line: string) => logs.push(line) });
  const writer = createActivityWriter(path, 5000, options.batchSize, new ActivityStore(db.$client), logger);
  const queue = new ActivityQueue(
    writer,
    { ...options, flushIntervalMs: 3_600_000 },
    new FakeClock(),
    logger,
  );
  cleanup.push(async () => {
    await queue.close();
    db.$client.close();
    if (path !== ":memory:") rmSync(join(path, ".."), { recursive: true, force: true });
  });
  const store = new ActivityStore(db.$client);
  const count = () => store.page({}, 0, 0).total;
  return { path, db, store, writer, queue, logs, count };
}

describe("activity writer thread", () => {
  test("full batches are written by the thread; flush returns once every row is in, fields intact", async () => {
    const s = stage({ maxRows: 100, batchSize: 3 });
    expect(s.writer).toBeInstanceOf(ThreadWriter);
    for (let n = 1; n <= 3; n++) s.queue.record(row(n));
    // A full batch is handed over at once (zero-delay timer) and written by the thread.
    await until("the batch written", () => (s.count() === 3 ? true : undefined));
    s.queue.record(row(4, { rpcErrorCode: -32602, outcome: "error" })); // waits for a flush
    expect(s.queue.depth).toBe(1);
    expect(s.count()).toBe(3);
    s.queue.flush();
    expect(s.count()).toBe(4); // no waiting after flush: the admin list reads right after it
    expect(s.queue.depth).toBe(0);
    const [last] = s.store.page({}, 1, 0).rows;
    expect(last).toEqual({ id: 4, ...row(4, { rpcErrorCode: -32602, outcome: "error" }), latencyMs: 2 });
  });

  test("rows handed to a held-up thread count towards the queue's bound: it drops, never grows", async () => {
    const s = stage({ maxRows: 4, batchSize: 2 });
    // Another connection holds the write lock: the thread's batch waits for it.
    const blocker = new Database(s.path);
    blocker.run("BEGIN IMMEDIATE");
    s.queue.record(row(1));
    s.queue.record(row(2));
    await until("the batch handed over", () => (s.writer.pending === 2 ? true : undefined));
    s.queue.record(row(3));
    s.queue.record(row(4));
    s.queue.record(row(5)); // 2 held by the thread + 2 queued: full
    expect(s.queue.depth).toBe(4);
    expect(s.queue.dropped).toBe(1);
    blocker.run("COMMIT");
    blocker.close();
    s.queue.flush();
    expect(s.count()).toBe(4);
    expect(s.queue.depth).toBe(0);
    expect(s.queue.dropped).toBe(1);
  });

  test("a batch the thread cannot write is dropped, counted and logged", async () => {
    const s = stage({ maxRows: 100, batchSize: 2 });
    s.queue.record(row(1));
    s.queue.flush();
    expect(s.count()).toBe(1);
    s.db.$client.run("ALTER TABLE mcp_activity_segment_data RENAME TO mcp_activity_moved");
    s.queue.record(row(2));
    s.queue.record(row(3));
    s.queue.flush();
    expect(s.queue.dropped).toBe(2);
    expect(s.queue.depth).toBe(0);
    await until("the failure logged", () =>
      s.logs.some(
        (line) =>
          line.includes("writing MCP activity rows failed") && line.includes("mcp_activity_segment_data"),
      )
        ? true
        : undefined,
    );
  });

  test("close writes what is left and ends the thread; later rows are ignored", async () => {
    const s = stage({ maxRows: 100, batchSize: 100 });
    for (let n = 1; n <= 3; n++) s.queue.record(row(n));
    await s.queue.close();
    s.queue.record(row(4));
    const other = new Database(s.path, { readonly: true });
    expect(other.query("SELECT sum(rows) AS n FROM mcp_activity_segments").get()).toEqual({ n: 3 });
    other.close();
  });

  test("if the thread dies, the main thread writes from then on", () => {
    const s = stage({ maxRows: 100, batchSize: 100 });
    // What the worker's "error" event carries when its script throws outside a batch.
    const worker = (s.writer as unknown as { worker: Worker }).worker;
    worker.dispatchEvent(new ErrorEvent("error", { message: "writer thread crashed" }));
    expect(s.logs.some((line) => line.includes("writer thread crashed"))).toBe(true);
    s.queue.record(row(1));
    s.queue.record(row(2));
    s.queue.flush();
    expect(s.count()).toBe(2);
    expect(s.queue.dropped).toBe(0);
  });

  test("an in-memory database, which no other connection can see, is written on the main thread", () => {
    const s = stage({ maxRows: 100, batchSize: 100 }, ":memory:");
    expect(s.writer).toBeInstanceOf(MainThreadWriter);
    s.queue.record(row(1));
    s.queue.flush();
    expect(s.count()).toBe(1);
  });
});
