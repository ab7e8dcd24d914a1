// The activity writer thread: its own SQLite connection to the gateway's database file, inserting
// the batches the main thread's queue hands over (src/audit/activity/writer.ts). A second entry
// point of the compiled executable (scripts/build.ts).
import { Database } from "bun:sqlite";
import { segmentInserter } from "./insert.ts";
import type { EncodedSegment } from "./segment.ts";
import { CLOSED, ROWS_DONE, ROWS_FAILED, type ToWriter, type WriterFailure } from "./writer-protocol.ts";

declare const self: Worker;

interface Writer {
  shared: Int32Array;
  db: Database | undefined;
  insert: ((segment: EncodedSegment) => void) | undefined;
  openError: string | undefined;
}

const state: { writer?: Writer } = {};

function open(file: string, busyTimeoutMs: number, mergeUpTo: number, shared: SharedArrayBuffer): Writer {
  const writer: Writer = {
    shared: new Int32Array(shared),
    db: undefined,
    insert: undefined,
    openError: undefined,
  };
  try {
    const db = new Database(file, { strict: true });
    db.run(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.run("PRAGMA synchronous = NORMAL");
    writer.db = db;
    writer.insert = segmentInserter(db, mergeUpTo);
  } catch (error) {
    writer.openError = error instanceof Error ? error.message : String(error);
  }
  return writer;
}

function done(writer: Writer, rows: number): void {
  Atomics.add(writer.shared, ROWS_DONE, rows);
  Atomics.notify(writer.shared, ROWS_DONE);
}

self.onmessage = (event: MessageEvent<ToWriter>) => {
  const message = event.data;
  if (message.kind === "init") {
    state.writer = open(message.file, message.busyTimeoutMs, message.mergeUpTo, message.shared);
    return;
  }
  const writer = state.writer;
  if (writer === undefined) return;
  if (message.kind === "close") {
    writer.db?.close();
    Atomics.store(writer.shared, CLOSED, 1);
    Atomics.notify(writer.shared, CLOSED);
    return;
  }
  try {
    if (writer.insert === undefined) throw new Error(`cannot open the database: ${writer.openError}`);
    writer.insert(message.segment);
  } catch (error) {
    Atomics.add(writer.shared, ROWS_FAILED, message.segment.rows);
    const failure: WriterFailure = {
      kind: "failed",
      rows: message.segment.rows,
      error: error instanceof Error ? error.message : String(error),
    };
    self.postMessage(failure);
  }
  done(writer, message.segment.rows);
};
