import type { Clock } from "../clock.ts";

/** Who opened an MCP session. `owner` is a user id, or "anonymous" on servers without auth. */
export interface SessionOwner {
  owner: string;
}

/** Where the gateway remembers session owners; in memory now, Redis later. */
export interface SessionStore {
  get(server: string, sessionId: string): SessionOwner | undefined;
  set(server: string, sessionId: string, owner: SessionOwner): void;
  delete(server: string, sessionId: string): void;
}

/** In-memory session owners with a sliding TTL and a size bound (oldest forgotten first). */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, SessionOwner & { expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get(server: string, sessionId: string): SessionOwner | undefined {
    const key = `${server}\n${sessionId}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.clock.now();
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    return { owner: entry.owner };
  }

  set(server: string, sessionId: string, owner: SessionOwner): void {
    const key = `${server}\n${sessionId}`;
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { owner: owner.owner, expiresAt: this.clock.now() + this.ttlMs });
  }

  delete(server: string, sessionId: string): void {
    this.entries.delete(`${server}\n${sessionId}`);
  }
}
