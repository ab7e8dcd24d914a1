import type { SecurityEvent } from "./types.ts";

interface Seen {
  /** Until when (event time, Unix ms) identical events are counted instead of stored. */
  until: number;
  suppressed: number;
  /** The latest of the counted repeats: the summary row is a copy of it. */
  last?: SecurityEvent;
}

/**
 * Keeps a flood of identical events from one IP (invalid tokens, refused sign-ins, rate-limit hits)
 * to two rows per window: the first event is stored at once; the identical ones within `windowMs`
 * after it are only counted, and when the window has ended one summary row (a copy of the latest
 * repeat with `details.repeatsSuppressed`) is stored, so the count is never lost. Identical means
 * same IP, type, severity, user, client and details. Admin changes are never folded: each is a
 * deliberate act. Bounded to `maxKeys`: when full, the oldest keys are summarised and forgotten.
 */
export class RepeatFilter {
  private readonly seen = new Map<string, Seen>();
  private summaries: SecurityEvent[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** True: store the event. False: it repeats one stored within the window, and was counted. */
  admit(event: SecurityEvent): boolean {
    if (this.windowMs <= 0 || event.type === "admin_change") return true;
    const key = [
      event.ip,
      event.type,
      event.severity,
      event.userId,
      event.clientId,
      JSON.stringify(event.details),
    ].join("\u0000");
    const entry = this.seen.get(key);
    if (entry !== undefined && event.at < entry.until) {
      entry.suppressed += 1;
      entry.last = event;
      return false;
    }
    if (entry !== undefined) this.forget(key, entry);
    else if (this.seen.size >= this.maxKeys) this.evict();
    this.seen.set(key, { until: event.at + this.windowMs, suppressed: 0 });
    return true;
  }

  /** True while some repeats are counted but not yet summarised. */
  get counting(): boolean {
    for (const entry of this.seen.values()) if (entry.suppressed > 0) return true;
    return this.summaries.length > 0;
  }

  /** The summary rows of every window ended by `now` (and of evicted keys); forgets ended windows. */
  drain(now: number): SecurityEvent[] {
    for (const [key, entry] of this.seen) if (entry.until <= now) this.forget(key, entry);
    const out = this.summaries;
    this.summaries = [];
    return out;
  }

  private forget(key: string, entry: Seen): void {
    this.seen.delete(key);
    if (entry.last === undefined) return;
    this.summaries.push({
      ...entry.last,
      details: { ...entry.last.details, repeatsSuppressed: entry.suppressed },
    });
  }

  private evict(): void {
    let drop = Math.max(1, this.maxKeys >> 4);
    for (const [key, entry] of this.seen) {
      if (drop-- <= 0) break;
      this.forget(key, entry);
    }
  }
}
