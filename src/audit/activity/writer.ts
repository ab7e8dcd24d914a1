import type { Logger } from "../../logger.ts";
import type { EncodedSegment } from "./segment.ts";
import type { ActivityStore } from "./store.ts";
import {
  CLOSED,
  ROWS_DONE,
  ROWS_FAILED,
  SHARED_SLOTS,
  type ToWriter,
  type WriterFailure,
} from "./writer-protocol.ts";

/** Where the activity queue's batches go. */
export interface ActivityWriter {
  /** Hands a segment over (may return before it is written); throws when it failed at once. */
  write(segment: EncodedSegment): void;
  /** Returns once every batch handed over is written or failed (or the writer stopped answering). */
  settle(): void;
  /** Rows handed over and not yet written. */
  readonly pending: number;
  /** Rows of batches that failed after `write` returned. */
  readonly failed: number;
  close(): Promise<void>;
}

/** Writes on the calling (main) thread: for `:memory:` databases, which another connection cannot see. */
export class MainThreadWriter implements ActivityWriter {
  readonly pending = 0;
  readonly failed = 0;

  constructor(private readonly store: ActivityStore) {}

  write(segment: EncodedSegment): void {
    this.store.insertSegment(segment);
  }

  settle(): void {}

  async close(): Promise<void> {}
}

/**
 * Writes from a worker thread with its own connection to the database file, so that SQLite's
 * transactions, the WAL's fsyncs and its checkpoints stay off the thread that serves requests. A
 * segment's blob is transferred, not copied; its dictionary (a few strings) is cloned.
 *
 * The queue stays bounded: rows handed over and not yet written count in its depth. `settle`
 * waits on a shared counter (Atomics.wait): the admin list and shutdown see every row recorded
 * before them, as when the main thread wrote. SQLite lets one writer in at a time: a main-thread
 * write that meets the worker's batch transaction waits for it (SQLITE_BUSY_TIMEOUT_MS), as two
 * requests writing at once always could.
 *
 * If the thread dies, the rows it held count as dropped and the main thread writes from then on.
 */
export class ThreadWriter implements ActivityWriter {
  private readonly worker: Worker;
  private readonly shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
  /** Rows handed over, modulo 2^32 like the worker's ROWS_DONE. */
  private posted = 0;
  private fallback: MainThreadWriter | undefined;
  private lostRows = 0;

  constructor(
    file: string,
    private readonly busyTimeoutMs: number,
    mergeUpTo: number,
    private readonly store: ActivityStore,
    private readonly logger: Logger,
  ) {
    this.worker = new Worker(writerEntry());
    // Bun's Worker has unref() (the DOM type it is declared with does not): the thread alone must
    // not keep a process alive that is otherwise done (close() ends it in any case).
    (this.worker as Worker & { unref(): void }).unref();
    this.worker.addEventListener("message", (event: MessageEvent<WriterFailure>) => {
      this.logger.error(
        { rows: event.data.rows, err: event.data.error },
        "writing MCP activity rows failed; the batch was dropped",
      );
    });
    this.worker.addEventListener("error", (event: ErrorEvent) => this.died(event.message));
    this.post({
      kind: "init",
      file,
      busyTimeoutMs,
      mergeUpTo,
      shared: this.shared.buffer as SharedArrayBuffer,
    });
  }

  get pending(): number {
    if (this.fallback !== undefined) return 0;
    return (this.posted - Atomics.load(this.shared, ROWS_DONE)) | 0;
  }

  get failed(): number {
    return Atomics.load(this.shared, ROWS_FAILED) + this.lostRows;
  }

  write(segment: EncodedSegment): void {
    if (this.fallback !== undefined) {
      this.fallback.write(segment);
      return;
    }
    this.worker.postMessage({ kind: "batch", segment } satisfies ToWriter, [
      segment.data.buffer as ArrayBuffer,
    ]);
    this.posted = (this.posted + segment.rows) | 0;
  }

  /**
   * Waits until the thread caught up. Gives up when it made no progress for twice the busy timeout
   * (a batch waits at most that long for the lock per statement; longer means the thread is stuck).
   */
  settle(): void {
    const patienceMs = 2 * this.busyTimeoutMs + 1000;
    let last = Atomics.load(this.shared, ROWS_DONE);
    let lastProgress = performance.now();
    while (this.fallback === undefined && ((this.posted - last) | 0) > 0) {
      Atomics.wait(this.shared, ROWS_DONE, last, 100);
      const now = Atomics.load(this.shared, ROWS_DONE);
      if (now !== last) {
        last = now;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > patienceMs) {
        this.logger.warn({ pending: this.pending }, "the MCP activity writer thread is not making progress");
        return;
      }
    }
  }

  async close(): Promise<void> {
    if (this.fallback === undefined) {
      this.settle();
      this.post({ kind: "close" });
      // The connection closes after the batches before it; bounded like settle.
      Atomics.wait(this.shared, CLOSED, 0, 2 * this.busyTimeoutMs + 1000);
    }
    await this.worker.terminate();
  }

  private post(message: ToWriter): void {
    this.worker.postMessage(message);
  }

  private died(reason: string): void {
    if (this.fallback !== undefined) return;
    this.lostRows += this.pending;
    this.fallback = new MainThreadWriter(this.store);
    this.logger.error(
      { err: reason },
      "the MCP activity writer thread failed; writing on the main thread from now on",
    );
  }
}

/**
 * From source, the worker is the file next to this one. In the compiled executable this module's
 * URL is the executable's; the worker is a second entry point of the build (scripts/build.ts),
 * embedded under its path from src/, which `new Worker` resolves inside the executable.
 */
function writerEntry(): string {
  const beside = new URL("./writer-worker.ts", import.meta.url);
  return beside.pathname.startsWith("/$bunfs/") ? "./audit/activity/writer-worker.ts" : beside.href;
}

/** The worker thread for a database file, the main thread for `:memory:`. */
export function createActivityWriter(
  file: string,
  busyTimeoutMs: number,
  mergeUpTo: number,
  store: ActivityStore,
  logger: Logger,
): ActivityWriter {
  if (file === ":memory:" || file === "") return new MainThreadWriter(store);
  return new ThreadWriter(file, busyTimeoutMs, mergeUpTo, store, logger);
}
