import { eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { containsPattern } from "../db/like.ts";
import { users } from "../db/schema/index.ts";

export type UserRow = typeof users.$inferSelect;

/** Drizzle queries on users; nothing else touches the table. */
export class UserStore {
  constructor(private readonly db: Db) {}

  insert(row: typeof users.$inferInsert): UserRow {
    return this.db.insert(users).values(row).returning().get();
  }

  byId(id: string): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.id, id)).get();
  }

  /** Case-insensitive match on username or email. */
  byLogin(login: string): UserRow | undefined {
    const lowered = login.toLowerCase();
    return this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = ${lowered} OR lower(${users.email}) = ${lowered}`)
      .get();
  }

  usernameOrEmailTaken(username: string, email: string): { username: boolean; email: boolean } {
    const row = this.db
      .select({
        username: sql<number>`max(lower(${users.username}) = ${username.toLowerCase()})`,
        email: sql<number>`max(lower(${users.email}) = ${email.toLowerCase()})`,
      })
      .from(users)
      .get();
    return { username: row?.username === 1, email: row?.email === 1 };
  }

  countAdmins(): number {
    return (
      this.db.select({ n: sql<number>`count(*)` }).from(users).where(eq(users.isAdmin, true)).get()?.n ?? 0
    );
  }

  update(id: string, patch: Partial<Omit<UserRow, "id" | "createdAt">>): UserRow | undefined {
    return this.db.update(users).set(patch).where(eq(users.id, id)).returning().get();
  }

  list(): UserRow[] {
    return this.db.select().from(users).orderBy(users.createdAt).all();
  }

  /** A page of users, oldest first, whose username or email contains `query` (case-insensitive). */
  page(query: string | undefined, limit: number, offset: number): { rows: UserRow[]; total: number } {
    const where = query ? containsText(query) : undefined;
    const rows = this.db
      .select()
      .from(users)
      .where(where)
      .orderBy(users.createdAt, users.id)
      .limit(limit)
      .offset(offset)
      .all();
    const total = this.db.select({ n: sql<number>`count(*)` }).from(users).where(where).get()?.n ?? 0;
    return { rows, total };
  }

  delete(id: string): boolean {
    return this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id }).all().length > 0;
  }
}

function containsText(query: string): SQL {
  const pattern = containsPattern(query);
  return sql`(lower(${users.username}) LIKE ${pattern} ESCAPE '\\' OR lower(${users.email}) LIKE ${pattern} ESCAPE '\\')`;
}
