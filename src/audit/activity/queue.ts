import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import { type EncodedSegment, SegmentEncoder } from "./segment.ts";
import type { McpActivity } from "./types.ts";
import type { ActivityWriter } from "./writer.ts";

export interface ActivityQueueOptions {
  maxRows: number;
  batchSize: number;
  flushIntervalMs: number;
}

/**
 * The bounded in-memory queue between the MCP endpoints and the activity table. `record` only
 * packs the row into the batch being built (src/audit/activity/segment.ts; or, when full, drops
 * and counts): the request never waits on SQLite and no row object is kept. Batches of
 * `batchSize` rows are handed to the writer (a worker thread, src/audit/activity/writer.ts), one
 * segment and one transaction each: at once when a batch is full (on a zero-delay timer, never
 * inside the request), and every `flushIntervalMs` once `start` ran. `flush` returns once they are written;
 * `close` writes what is left. Rows handed over and not yet written still count towards
 * `maxRows`, so a writer that falls behind makes the queue drop, never grow.
 */
export class ActivityQueue {
  private readonly building: SegmentEncoder;
  /** Full batches waiting for the zero-delay hand-over, and their rows. */
  private ready: EncodedSegment[] = [];
  private readyRows = 0;
  private droppedTotal = 0;
  /** Dropped since the last warning: logged at most once per interval. */
  private droppedUnreported = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;
  private interval: ReturnType<typeof setInterval> | undefined;
  private flushSoon: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly writer: ActivityWriter,
    private readonly options: ActivityQueueOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.building = new SegmentEncoder(options.batchSize);
  }

  /** Rows waiting to be written (queued here or handed to the writer). */
  get depth(): number {
    return this.building.size + this.readyRows + this.writer.pending;
  }

  /** Rows dropped because the queue was full or their batch failed, since start. */
  get dropped(): number {
    return this.droppedTotal + this.writer.failed;
  }

  record(activity: McpActivity): void {
    if (this.closed) return;
    if (this.depth >= this.options.maxRows) {
      this.droppedTotal++;
      this.droppedUnreported++;
      this.warnDropped();
      return;
    }
    this.building.add(activity);
    if (!this.building.full) return;
    this.ready.push(this.building.take() as EncodedSegment);
    this.readyRows += this.options.batchSize;
    if (this.flushSoon === undefined) {
      this.flushSoon = setTimeout(() => {
        this.flushSoon = undefined;
        this.handOver();
      }, 0);
    }
  }

  /** Starts the periodic flush (by `start`); idempotent. */
  start(): void {
    if (this.interval !== undefined || this.closed) return;
    this.interval = setInterval(() => this.handOver(), this.options.flushIntervalMs);
  }

  /** Writes every waiting row and returns once they are written (the admin list reads after it). */
  flush(): void {
    this.handOver();
    this.writer.settle();
  }

  /** Hands every waiting row to the writer, a batch per transaction. A failed batch is logged and dropped (counted). */
  private handOver(): void {
    const partial = this.building.take();
    if (partial !== undefined) this.ready.push(partial);
    const batches = this.ready;
    this.ready = [];
    this.readyRows = 0;
    for (const batch of batches) {
      try {
        this.writer.write(batch);
      } catch (error) {
        this.droppedTotal += batch.rows;
        this.logger.error(
          { rows: batch.rows, err: error instanceof Error ? error.message : String(error) },
          "writing MCP activity rows failed; the batch was dropped",
        );
      }
    }
    this.warnDropped();
  }

  /** Stops the timers, writes what is left and stops the writer (before the database closes). */
  async close(): Promise<void> {
    if (this.interval !== undefined) clearInterval(this.interval);
    if (this.flushSoon !== undefined) clearTimeout(this.flushSoon);
    this.interval = undefined;
    this.flushSoon = undefined;
    this.flush();
    this.closed = true;
    await this.writer.close();
  }

  private warnDropped(): void {
    if (this.droppedUnreported === 0) return;
    const now = this.clock.now();
    if (now - this.lastWarningAt < this.options.flushIntervalMs) return;
    this.lastWarningAt = now;
    this.logger.warn(
      { dropped: this.droppedUnreported, droppedTotal: this.droppedTotal, queueMax: this.options.maxRows },
      "MCP activity queue full: rows were dropped (raise ACTIVITY_QUEUE_MAX or lower the flush interval)",
    );
    this.droppedUnreported = 0;
  }
}
