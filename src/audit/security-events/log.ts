import type { Clock } from "../../clock.ts";
import type { Db } from "../../db/connection.ts";
import type { Logger } from "../../logger.ts";
import { RepeatFilter } from "./repeat-filter.ts";
import { type SecurityEventFilter, SecurityEventStore, type StoredSecurityEvent } from "./store.ts";
import type { SecurityEvent, SecurityEventSink } from "./types.ts";

export interface SecurityLogSettings {
  queueMax: number;
  batchSize: number;
  flushIntervalMs: number;
  /** 0: store every event; else identical events per IP within this time are folded (RepeatFilter). */
  repeatMs: number;
  /** Bound of the repeat filter's keys. */
  maxKeys: number;
}

/**
 * The stored security log. It listens to the dispatcher and only queues: a sign-in never waits on
 * an INSERT. The queue is written in batches of `batchSize` in one transaction each, right after
 * the tick that filled a batch, and otherwise at most `flushIntervalMs` after the first waiting
 * event. A full queue drops new events and counts them (warned once per flush). Readers (the admin
 * API, retention) flush first, so what was recorded before the request is in its answer.
 */
export class SecurityEventLog {
  readonly store: SecurityEventStore;
  private queue: SecurityEvent[] = [];
  private readonly repeats: RepeatFilter;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private sweep: ReturnType<typeof setTimeout> | undefined;
  private droppedTotal = 0;
  private droppedUnwarned = 0;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    db: Db,
    sink: SecurityEventSink,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly settings: SecurityLogSettings,
  ) {
    this.store = new SecurityEventStore(db);
    this.repeats = new RepeatFilter(settings.repeatMs, settings.maxKeys);
    this.unsubscribe = sink.subscribe((event) => this.enqueue(event));
  }

  /** Events dropped because the queue was full (or their write failed), since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Events waiting to be written. */
  get depth(): number {
    return this.queue.length;
  }

  private enqueue(event: SecurityEvent): void {
    if (this.closed) return;
    if (!this.repeats.admit(event)) {
      this.scheduleSweep();
      return;
    }
    for (const summary of this.repeats.drain(event.at)) this.push(summary);
    this.push(event);
    this.schedule();
  }

  private push(event: SecurityEvent): void {
    if (this.queue.length < this.settings.queueMax) {
      this.queue.push(event);
      return;
    }
    this.droppedTotal += 1;
    this.droppedUnwarned += 1;
  }

  private schedule(): void {
    if (this.queue.length >= this.settings.batchSize) {
      // After the current request's synchronous work, never inside it.
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.settings.flushIntervalMs);
      this.timer.unref?.();
    }
  }

  /** Counted repeats are summarised when their window ends, even if nothing else is recorded. */
  private scheduleSweep(): void {
    if (this.sweep !== undefined) return;
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      this.flush();
      if (this.repeats.counting && !this.closed) this.scheduleSweep();
    }, this.settings.repeatMs);
    this.sweep.unref?.();
  }

  /** Writes everything waiting now (and the summaries of ended repeat windows); returns how many. */
  flush(): number {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    for (const summary of this.repeats.drain(this.clock.now())) this.push(summary);
    const waiting = this.queue;
    this.queue = [];
    let written = 0;
    for (let i = 0; i < waiting.length; i += this.settings.batchSize) {
      const batch = waiting.slice(i, i + this.settings.batchSize);
      try {
        this.store.insertMany(batch);
        written += batch.length;
      } catch (error) {
        this.droppedTotal += batch.length;
        this.droppedUnwarned += batch.length;
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error), events: batch.length },
          "security events could not be written",
        );
      }
    }
    if (this.droppedUnwarned > 0) {
      this.logger.warn(
        {
          dropped: this.droppedUnwarned,
          dropped_total: this.droppedTotal,
          queue_max: this.settings.queueMax,
        },
        "security events dropped: the write queue was full",
      );
      this.droppedUnwarned = 0;
    }
    return written;
  }

  /** A page of stored events, newest first, after writing what is waiting. */
  page(
    filter: SecurityEventFilter,
    limit: number,
    offset: number,
  ): { rows: StoredSecurityEvent[]; total: number } {
    this.flush();
    return this.store.page(filter, limit, offset);
  }

  /** For the retention job: deletes events recorded before `epochMs` (waiting ones are written first). */
  deleteBefore(epochMs: number): number {
    this.flush();
    return this.store.deleteBefore(epochMs);
  }

  /** Writes what is waiting and stops listening (run by AppContext.close before the database closes). */
  close(): void {
    if (this.closed) return;
    if (this.sweep !== undefined) clearTimeout(this.sweep);
    this.sweep = undefined;
    // Windows still counting are summarised now: their counts would be lost otherwise.
    for (const summary of this.repeats.drain(Number.POSITIVE_INFINITY)) this.push(summary);
    this.flush();
    this.closed = true;
    this.unsubscribe();
  }
}
