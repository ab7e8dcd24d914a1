import type { Clock } from "../../clock.ts";

/** A limit: at most `max` units per `windowSeconds`, under a name clients see in the headers. */
export interface RatePolicy {
  name: string;
  max: number;
  windowSeconds: number;
}

/** What one counted hit decided (every time in whole seconds, as the headers carry them). */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Units still available now. */
  remaining: number;
  /** Seconds until the window's count no longer weighs on the estimate (the draft's `t`). */
  resetSeconds: number;
  /** Seconds to wait before the same hit would be allowed; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * The store-independent face of a limiter. The in-memory one below serves one instance; a shared
 * store (Redis) can implement the same method for several instances.
 */
export interface RateLimiter {
  readonly policy: RatePolicy;
  /** Counts `cost` units for `key` (a refused hit counts nothing); `policy` overrides the default one. */
  hit(key: string, cost?: number, policy?: RatePolicy): RateDecision;
  /** `hit` without building a decision: true when counted (the hot path's form). */
  consume(key: string, cost?: number, policy?: RatePolicy): boolean;
}

interface Window {
  /** Start of the current fixed window, in ms (a multiple of the window length). */
  start: number;
  current: number;
  previous: number;
  /** Window length this entry was counted in; an override changes it. */
  windowMs: number;
}

/**
 * Sliding-window counter: two fixed windows per key, the previous one weighted by how much of it
 * still overlaps the sliding window. Unlike a fixed window it does not allow 2× the limit across
 * a window edge, and it keeps three numbers per key instead of a timestamp per request (the log
 * variant), so memory and time per hit stay constant. The estimate assumes the previous window's
 * hits were spread evenly; it errs by at most that window's skew.
 *
 * Memory: at most `maxKeys` keys. A new key arriving when full first drops every idle key (no hit
 * for two windows); if none is idle the oldest-inserted keys go, so a flood of fresh keys cannot
 * grow memory (at the price of forgetting some counts under such a flood).
 */
export class SlidingWindowLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    readonly policy: RatePolicy,
    private readonly maxKeys: number,
  ) {}

  consume(key: string, cost = 1, policy: RatePolicy = this.policy): boolean {
    const now = this.clock.now();
    const w = this.window(key, now, policy.windowSeconds * 1000);
    const used = (w.previous * (w.windowMs - (now - w.start))) / w.windowMs + w.current;
    if (used + cost > policy.max) return false;
    w.current += cost;
    return true;
  }

  hit(key: string, cost = 1, policy: RatePolicy = this.policy): RateDecision {
    return this.decide(key, cost, policy, true);
  }

  /** What `hit` would answer, without counting anything (the refused path of `consume`). */
  peek(key: string, cost = 1, policy: RatePolicy = this.policy): RateDecision {
    return this.decide(key, cost, policy, false);
  }

  private decide(key: string, cost: number, policy: RatePolicy, count: boolean): RateDecision {
    const now = this.clock.now();
    const windowMs = policy.windowSeconds * 1000;
    const w = this.window(key, now, windowMs);
    const elapsed = now - w.start;
    const used = (w.previous * (windowMs - elapsed)) / windowMs + w.current;
    const max = policy.max;
    const allowed = used + cost <= max;
    if (allowed && count) w.current += cost;
    // Every counted unit has left the sliding window once the window after the current one ends.
    const resetSeconds = Math.max(1, Math.ceil(((w.current > 0 ? windowMs : 0) + windowMs - elapsed) / 1000));
    return {
      allowed,
      limit: max,
      remaining: Math.max(0, Math.floor(max - used - (allowed && count ? cost : 0))),
      resetSeconds,
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(this.waitMs(w, elapsed, cost, max) / 1000)),
    };
  }

  /** The key's two windows rolled forward to `now` (created when new). */
  private window(key: string, now: number, windowMs: number): Window {
    const start = now - (now % windowMs);
    let w = this.windows.get(key);
    if (w === undefined || w.windowMs !== windowMs) {
      if (w === undefined && this.windows.size >= this.maxKeys) this.evict(now);
      w = { start, current: 0, previous: 0, windowMs };
      this.windows.set(key, w);
    } else if (w.start !== start) {
      w.previous = start - w.start === windowMs ? w.current : 0;
      w.current = 0;
      w.start = start;
    }
    return w;
  }

  /** How long until `cost` more units fit, from the same two-window estimate. */
  private waitMs(w: Window, elapsed: number, cost: number, max: number): number {
    const windowMs = w.windowMs;
    const room = max - cost - w.current;
    if (room >= 0 && w.previous > 0) {
      // Within this window: the previous one's weight falls until previous·(1 − e/W) ≤ room.
      return Math.ceil((windowMs * (w.previous - room)) / w.previous) - elapsed;
    }
    // In the next window this window's count becomes the previous one.
    const nextRoom = max - cost;
    if (nextRoom < 0) return 2 * windowMs - elapsed; // a cost larger than the limit never fits
    const into = w.current > nextRoom ? Math.ceil((windowMs * (w.current - nextRoom)) / w.current) : 0;
    return windowMs - elapsed + into;
  }

  private evict(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= 2 * w.windowMs) this.windows.delete(key);
    if (this.windows.size < this.maxKeys) return;
    // Nothing idle: drop the oldest-inserted tenth rather than one key per new arrival.
    let drop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const key of this.windows.keys()) {
      this.windows.delete(key);
      if (--drop === 0) break;
    }
  }
}
