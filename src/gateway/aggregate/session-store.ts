import type { Clock } from "../../clock.ts";
import type { AggregateSession } from "./session.ts";

/** Why a new session may not open now: the HTTP status and the message the client sees. */
export interface SessionRefusal {
  status: 429 | 503;
  message: string;
}

/**
 * Where the aggregated endpoint keeps its client sessions. Every access goes through this
 * interface, so a stateless mode or a shared store can take its place.
 */
export interface AggregateSessionStore {
  /** The live session with this id (its idle clock restarts), or undefined when unknown or idle too long. */
  get(id: string): AggregateSession | undefined;
  /** Why `owner` may not open another session now, or undefined. */
  refusal(owner: string): SessionRefusal | undefined;
  add(session: AggregateSession): void;
  /** Forgets a session (it was closed). */
  delete(id: string): void;
  all(): Iterable<AggregateSession>;
  /** Closes and forgets every session (shutdown). */
  closeAll(): Promise<void>;
}

export interface SessionLimits {
  idleMs: number;
  max: number;
  maxPerUser: number;
}

interface Entry {
  session: AggregateSession;
  expiresAt: number;
}

/**
 * Sessions in memory, kept in least-recently-used order (an entry used moves to the end), so idle
 * sessions are found at the front. An idle session is closed (with its backend sessions) when it is
 * next looked up or when a new session is added. Beyond the limits a new session is refused rather
 * than an existing one evicted: a session holds backend sessions and streams a client still uses.
 */
export class MemoryAggregateSessionStore implements AggregateSessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly perOwner = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: SessionLimits,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): AggregateSession | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const now = this.clock.now();
    if (entry.expiresAt <= now) {
      this.expire(id, entry);
      return undefined;
    }
    entry.expiresAt = now + this.limits.idleMs;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.session;
  }

  refusal(owner: string): SessionRefusal | undefined {
    this.dropIdle();
    if ((this.perOwner.get(owner) ?? 0) >= this.limits.maxPerUser) {
      return {
        status: 429,
        message: `You hold as many sessions of /mcp as allowed (MCP_AGGREGATE_SESSION_MAX_PER_USER=${this.limits.maxPerUser}); end one (DELETE) or wait until one idles out`,
      };
    }
    if (this.entries.size >= this.limits.max) {
      return {
        status: 503,
        message: `The gateway holds as many sessions of /mcp as it may (MCP_AGGREGATE_SESSION_MAX=${this.limits.max}); try again later`,
      };
    }
    return undefined;
  }

  add(session: AggregateSession): void {
    this.entries.set(session.id, { session, expiresAt: this.clock.now() + this.limits.idleMs });
    this.perOwner.set(session.owner, (this.perOwner.get(session.owner) ?? 0) + 1);
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const count = (this.perOwner.get(entry.session.owner) ?? 1) - 1;
    if (count <= 0) this.perOwner.delete(entry.session.owner);
    else this.perOwner.set(entry.session.owner, count);
  }

  all(): Iterable<AggregateSession> {
    return [...this.entries.values()].map((entry) => entry.session);
  }

  async closeAll(): Promise<void> {
    const sessions = [...this.all()];
    for (const session of sessions) this.delete(session.id);
    await Promise.all(sessions.map((session) => session.close()));
  }

  private dropIdle(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.expire(id, entry);
    }
  }

  private expire(id: string, entry: Entry): void {
    this.delete(id);
    void entry.session.close();
  }
}
