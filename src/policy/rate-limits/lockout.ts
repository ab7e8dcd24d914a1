import type { Clock } from "../../clock.ts";

export interface LockoutSettings {
  /** Failures in a row before a lock; 0: never lock. */
  threshold: number;
  lockSeconds: number;
  maxLockSeconds: number;
  maxKeys: number;
}

interface Failures {
  count: number;
  /** Locks so far: the next one lasts lockSeconds · 2^locks (capped). */
  locks: number;
  lockedUntil: number;
  last: number;
}

/**
 * Failed sign-ins per account. `threshold` failures in a row lock the account for `lockSeconds`;
 * every further run of `threshold` failures after a lock doubles the lock, up to `maxLockSeconds`;
 * a success clears the record, and so does `maxLockSeconds` without a failure. Keys are account
 * ids for existing accounts and the typed name for unknown ones, so a name that does not exist
 * locks exactly like one that does (a stranger cannot tell them apart by the lock).
 * In memory and bounded like the rate limiters: one instance's view (a shared store later).
 */
export class LoginLockout {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: LockoutSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.threshold > 0;
  }

  /** Seconds the account stays locked; 0 when it is not. */
  lockedSeconds(key: string): number {
    const entry = this.current(key);
    if (entry === undefined) return 0;
    const left = entry.lockedUntil - this.clock.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Records a failure; returns the seconds of the lock it started, or 0. */
  failed(key: string): number {
    if (!this.enabled) return 0;
    const now = this.clock.now();
    let entry = this.current(key);
    if (entry === undefined) {
      if (this.failures.size >= this.settings.maxKeys) this.evict(now);
      entry = { count: 0, locks: 0, lockedUntil: 0, last: now };
      this.failures.set(key, entry);
    }
    entry.last = now;
    entry.count += 1;
    if (entry.count < this.settings.threshold) return 0;
    const seconds = Math.min(this.settings.lockSeconds * 2 ** entry.locks, this.settings.maxLockSeconds);
    entry.locks += 1;
    entry.count = 0;
    entry.lockedUntil = now + seconds * 1000;
    return seconds;
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private current(key: string): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry === undefined) return undefined;
    if (this.stale(entry, this.clock.now())) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private stale(entry: Failures, now: number): boolean {
    return now - Math.max(entry.last, entry.lockedUntil) >= this.settings.maxLockSeconds * 1000;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.failures) if (this.stale(entry, now)) this.failures.delete(key);
    let drop = this.failures.size >= this.settings.maxKeys ? Math.max(1, this.settings.maxKeys >> 4) : 0;
    for (const key of this.failures.keys()) {
      if (drop-- <= 0) break;
      this.failures.delete(key);
    }
  }
}
