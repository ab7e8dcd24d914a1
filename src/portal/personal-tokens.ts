import { and, count, desc, eq, isNull } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { randomToken, sha256Hex } from "../crypto/random.ts";
import type { Db } from "../db/connection.ts";
import { personalTokens } from "../db/schema/index.ts";

/** Every personal access token starts with this: recognisable in a leak scan and in the bearer check. */
export const PERSONAL_TOKEN_PREFIX = "amcp_pat_";

/** The prefix and 32 random bytes in base64url (43 characters). */
const TOKEN_PATTERN = /^amcp_pat_[A-Za-z0-9_-]{43}$/;

export interface PersonalToken {
  id: string;
  userId: string;
  name: string;
  /** The server names it is for; null: every server the user may use, and the aggregated `/mcp`. */
  servers: string[] | null;
  createdAt: number;
  /** null: never expires. */
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface NewPersonalToken {
  userId: string;
  name: string;
  servers: string[] | null;
  expiresAt: number | null;
}

type Row = typeof personalTokens.$inferSelect;

function toToken(row: Row): PersonalToken {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    servers: row.servers === null ? null : (JSON.parse(row.servers) as string[]),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  };
}

/** True when `value` has the shape of a personal access token (say, an Authorization header's token). */
export function looksLikePersonalToken(value: string): boolean {
  return value.startsWith(PERSONAL_TOKEN_PREFIX);
}

/**
 * Personal access tokens: the table keeps only SHA-256 hashes; the live ones (not revoked) are
 * also held in memory by hash, so the bearer check on the proxy's hot path reads no database and a
 * revocation takes effect on the very next request (it removes the entry before it returns).
 */
export class PersonalTokenStore {
  private readonly live = new Map<string, PersonalToken>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    for (const row of db.select().from(personalTokens).where(isNull(personalTokens.revokedAt)).all()) {
      if (row.expiresAt === null || row.expiresAt > now) this.live.set(row.tokenHash, toToken(row));
    }
  }

  /** Creates a token; its secret is returned here and never again. */
  create(input: NewPersonalToken): { token: string; record: PersonalToken } {
    const token = `${PERSONAL_TOKEN_PREFIX}${randomToken(32)}`;
    const tokenHash = sha256Hex(token);
    const row = this.db
      .insert(personalTokens)
      .values({
        id: Bun.randomUUIDv7(),
        tokenHash,
        userId: input.userId,
        name: input.name,
        servers: input.servers === null ? null : JSON.stringify(input.servers),
        createdAt: this.clock.now(),
        expiresAt: input.expiresAt,
      })
      .returning()
      .get();
    const record = toToken(row);
    this.live.set(tokenHash, record);
    return { token, record };
  }

  /** The live token this secret is (not revoked, not expired); undefined otherwise. Memory only. */
  find(token: string): PersonalToken | undefined {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const hash = sha256Hex(token);
    const record = this.live.get(hash);
    if (record === undefined) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= this.clock.now()) {
      this.live.delete(hash);
      return undefined;
    }
    return record;
  }

  byId(id: string): PersonalToken | undefined {
    if (id.length > 64) return undefined;
    const row = this.db.select().from(personalTokens).where(eq(personalTokens.id, id)).get();
    return row ? toToken(row) : undefined;
  }

  /** A user's tokens that are not revoked (expired ones included, so the person sees them end), newest first. */
  listForUser(userId: string): PersonalToken[] {
    return this.db
      .select()
      .from(personalTokens)
      .where(and(eq(personalTokens.userId, userId), isNull(personalTokens.revokedAt)))
      .orderBy(desc(personalTokens.createdAt), desc(personalTokens.id))
      .all()
      .map(toToken);
  }

  /** Every user's tokens (revoked ones too), newest first, one page: for administrators. */
  page(filter: { userId?: string }, limit: number, offset: number): { rows: PersonalToken[]; total: number } {
    const where = filter.userId === undefined ? undefined : eq(personalTokens.userId, filter.userId);
    const rows = this.db
      .select()
      .from(personalTokens)
      .where(where)
      .orderBy(desc(personalTokens.createdAt), desc(personalTokens.id))
      .limit(limit)
      .offset(offset)
      .all()
      .map(toToken);
    const total = this.db.select({ n: count() }).from(personalTokens).where(where).get()?.n ?? 0;
    return { rows, total };
  }

  /** How many tokens of this user still work (what the per-user maximum counts). */
  countLive(userId: string): number {
    const now = this.clock.now();
    let n = 0;
    for (const record of this.live.values()) {
      if (record.userId === userId && (record.expiresAt === null || record.expiresAt > now)) n++;
    }
    return n;
  }

  /** Revokes one token; undefined when there is no such token or it was revoked already. */
  revoke(id: string): PersonalToken | undefined {
    if (id.length > 64) return undefined;
    const row = this.db
      .update(personalTokens)
      .set({ revokedAt: this.clock.now() })
      .where(and(eq(personalTokens.id, id), isNull(personalTokens.revokedAt)))
      .returning()
      .get();
    if (!row) return undefined;
    this.live.delete(row.tokenHash);
    return toToken(row);
  }

  /** Revokes every token of a user (account disabled, password changed, signed out everywhere). */
  revokeForUser(userId: string): PersonalToken[] {
    const rows = this.db
      .update(personalTokens)
      .set({ revokedAt: this.clock.now() })
      .where(and(eq(personalTokens.userId, userId), isNull(personalTokens.revokedAt)))
      .returning()
      .all();
    for (const row of rows) this.live.delete(row.tokenHash);
    return rows.map(toToken);
  }
}
