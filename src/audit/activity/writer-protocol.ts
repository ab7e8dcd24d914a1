import type { EncodedSegment } from "./segment.ts";

/** Messages between the activity queue (main thread) and its writer thread (writer-worker.ts). */

/** Slots of the Int32Array over the shared buffer. */
export const ROWS_DONE = 0;
export const ROWS_FAILED = 1;
export const CLOSED = 2;
export const SHARED_SLOTS = 3;

export interface WriterInit {
  kind: "init";
  file: string;
  busyTimeoutMs: number;
  /** Segments are merged up to this many rows (segmentInserter). */
  mergeUpTo: number;
  /**
   * ROWS_DONE: rows written or failed so far (wraps at 2^32, compared modulo it); ROWS_FAILED: rows
   * of failed batches; CLOSED: 1 once the connection closed.
   */
  shared: SharedArrayBuffer;
}

export interface WriterBatch {
  kind: "batch";
  /** Its blob's buffer is transferred, not copied. */
  segment: EncodedSegment;
}

export interface WriterClose {
  kind: "close";
}

export type ToWriter = WriterInit | WriterBatch | WriterClose;

/** A batch that could not be written (counted in ROWS_FAILED; this message is for the log). */
export interface WriterFailure {
  kind: "failed";
  rows: number;
  error: string;
}
