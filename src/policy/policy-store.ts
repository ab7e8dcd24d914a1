import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { containsPattern } from "../db/like.ts";
import { users } from "../db/schema/identity.ts";
import { groupMembers, groups, serverGrants } from "../db/schema/policy.ts";

export type GroupRow = typeof groups.$inferSelect;
export type GrantRow = typeof serverGrants.$inferSelect;
export type PrincipalType = "user" | "group";

/** The only place with SQL for groups, their members and server grants. */
export class PolicyStore {
  constructor(private readonly db: Db) {}

  groupPage(query: string | undefined, limit: number, offset: number): { rows: GroupRow[]; total: number } {
    const where = query ? nameContains(query) : undefined;
    const rows = this.db
      .select()
      .from(groups)
      .where(where)
      .orderBy(groups.name, groups.id)
      .limit(limit)
      .offset(offset)
      .all();
    const total = this.db.select({ n: sql<number>`count(*)` }).from(groups).where(where).get()?.n ?? 0;
    return { rows, total };
  }

  group(id: string): GroupRow | undefined {
    return this.db.select().from(groups).where(eq(groups.id, id)).get();
  }

  groupNameTaken(name: string, exceptId?: string): boolean {
    const row = this.db
      .select({ id: groups.id })
      .from(groups)
      .where(sql`lower(${groups.name}) = ${name.toLowerCase()}`)
      .get();
    return row !== undefined && row.id !== exceptId;
  }

  insertGroup(row: GroupRow): GroupRow {
    return this.db.insert(groups).values(row).returning().get();
  }

  updateGroup(id: string, patch: Partial<Pick<GroupRow, "name" | "description" | "updatedAt">>) {
    return this.db.update(groups).set(patch).where(eq(groups.id, id)).returning().get();
  }

  /** Deletes the group, its memberships (cascade) and its grants. */
  deleteGroup(id: string): boolean {
    return this.db.transaction((tx) => {
      tx.delete(serverGrants)
        .where(and(eq(serverGrants.principalType, "group"), eq(serverGrants.principalId, id)))
        .run();
      return tx.delete(groups).where(eq(groups.id, id)).returning({ id: groups.id }).all().length > 0;
    });
  }

  /** Members of a group with their usernames, by username. */
  members(groupId: string): { id: string; username: string }[] {
    return this.db
      .select({ id: users.id, username: users.username })
      .from(groupMembers)
      .innerJoin(users, eq(users.id, groupMembers.userId))
      .where(eq(groupMembers.groupId, groupId))
      .orderBy(users.username)
      .all();
  }

  allMemberships(): { groupId: string; userId: string }[] {
    return this.db
      .select({ groupId: groupMembers.groupId, userId: groupMembers.userId })
      .from(groupMembers)
      .all();
  }

  addMember(groupId: string, userId: string, now: number): void {
    this.db.insert(groupMembers).values({ groupId, userId, createdAt: now }).onConflictDoNothing().run();
  }

  removeMember(groupId: string, userId: string): boolean {
    return (
      this.db
        .delete(groupMembers)
        .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)))
        .returning({ userId: groupMembers.userId })
        .all().length > 0
    );
  }

  allGrants(): GrantRow[] {
    return this.db.select().from(serverGrants).all();
  }

  insertGrant(row: GrantRow): GrantRow {
    return this.db.insert(serverGrants).values(row).returning().get();
  }

  deleteGrant(id: string): boolean {
    return (
      this.db.delete(serverGrants).where(eq(serverGrants.id, id)).returning({ id: serverGrants.id }).all()
        .length > 0
    );
  }

  deleteGrantsOf(principalType: PrincipalType, principalId: string): void {
    this.db
      .delete(serverGrants)
      .where(and(eq(serverGrants.principalType, principalType), eq(serverGrants.principalId, principalId)))
      .run();
  }

  deleteGrantsOfServer(serverId: string): void {
    this.db.delete(serverGrants).where(eq(serverGrants.serverId, serverId)).run();
  }
}

function nameContains(query: string): SQL {
  const pattern = containsPattern(query);
  return sql`lower(${groups.name}) LIKE ${pattern} ESCAPE '\\'`;
}
