import type { Clock } from "../clock.ts";

/** Who opened an MCP session. `owner` is a user id, or "anonymous" on servers without auth. */
export interface SessionOwner {
  owner: string;
}

/** Where the gateway remembers session owners; in memory now, Redis later. */
export interface SessionStore {
  get(server: string, sessionId: string): SessionOwner | undefined;
  /**
   * Why `owner` may not open a session now (the store is full with other users' sessions), or
   * undefined. Asked before a new session is opened at the backend.
   */
  refusal(owner: string): string | undefined;
  /**
   * Remembers a new session. An owner at their quota gives up their own least recently used
   * session; a store that filled up since `refusal` said yes keeps the new one not at all (its
   * client's next request gets 404 and it opens a new session, as Streamable HTTP prescribes).
   */
  set(server: string, sessionId: string, owner: SessionOwner): void;
  delete(server: string, sessionId: string): void;
  /** Forgets every session of an owner (account disabled, password reset): their next request gets 404. */
  deleteOwner(owner: string): void;
  /** Sessions remembered now (the metrics' active-session gauge). */
  readonly size: number;
}

interface Entry {
  owner: string;
  expiresAt: number;
}

/**
 * In-memory session owners with a sliding TTL, a global size bound and a quota per owner.
 *
 * Both maps are kept in least-recently-used order (an entry used is moved to the end), so the
 * oldest expired entries and an owner's oldest session are found at the front in O(1).
 *
 * Why an owner at the quota loses their own oldest session instead of being refused: MCP clients
 * seldom send DELETE; a person who restarts their client a few times would otherwise be locked out
 * until the TTL (a day by default) ends. Their oldest session is almost always one such abandoned
 * session, and it is theirs: no other user is affected. Other users' sessions are never evicted:
 * when the store is full of them, a new session is refused (503) until some expire or are deleted.
 * "anonymous" (servers without auth) is one owner: its clients share one quota.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly byOwner = new Map<string, Set<string>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly maxPerOwner: number = max,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(server: string, sessionId: string): SessionOwner | undefined {
    const key = `${server}\n${sessionId}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.clock.now();
    if (entry.expiresAt <= now) {
      this.forget(key, entry.owner);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    this.entries.delete(key);
    this.entries.set(key, entry);
    const owned = this.byOwner.get(entry.owner);
    owned?.delete(key);
    owned?.add(key);
    return { owner: entry.owner };
  }

  refusal(owner: string): string | undefined {
    if (this.entries.size < this.max) return undefined;
    this.dropExpired();
    if (this.entries.size < this.max) return undefined;
    if ((this.byOwner.get(owner)?.size ?? 0) >= this.maxPerOwner) return undefined; // makes room itself
    return `the gateway holds as many MCP sessions as it may (MCP_SESSION_MAX=${this.max}); try again later`;
  }

  set(server: string, sessionId: string, owner: SessionOwner): void {
    const key = `${server}\n${sessionId}`;
    const previous = this.entries.get(key);
    if (previous) this.forget(key, previous.owner);
    let owned = this.byOwner.get(owner.owner);
    if (owned && owned.size >= this.maxPerOwner) {
      const oldest = owned.values().next().value;
      if (oldest !== undefined) this.forget(oldest, owner.owner);
    }
    if (this.entries.size >= this.max) {
      this.dropExpired();
      if (this.entries.size >= this.max) return;
    }
    this.entries.set(key, { owner: owner.owner, expiresAt: this.clock.now() + this.ttlMs });
    if (!owned) {
      owned = new Set();
      this.byOwner.set(owner.owner, owned);
    }
    owned.add(key);
  }

  delete(server: string, sessionId: string): void {
    const key = `${server}\n${sessionId}`;
    const entry = this.entries.get(key);
    if (entry) this.forget(key, entry.owner);
  }

  deleteOwner(owner: string): void {
    for (const key of [...(this.byOwner.get(owner) ?? [])]) this.forget(key, owner);
  }

  /** Drops expired entries from the front (least recently used first); stops at the first live one. */
  private dropExpired(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.forget(key, entry.owner);
    }
  }

  private forget(key: string, owner: string): void {
    this.entries.delete(key);
    const owned = this.byOwner.get(owner);
    if (!owned) return;
    owned.delete(key);
    if (owned.size === 0) this.byOwner.delete(owner);
  }
}
