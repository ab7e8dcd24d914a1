import { and, eq } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { mcpServers, mcpServerUsers } from "../db/schema/gateway.ts";

export type ServerRow = typeof mcpServers.$inferSelect;
export type NewServerRow = typeof mcpServers.$inferInsert;

/** The only place with SQL for servers and grants. */
export class RegistryStore {
  constructor(private readonly db: Db) {}

  all(): ServerRow[] {
    return this.db.select().from(mcpServers).all();
  }

  byId(id: string): ServerRow | undefined {
    return this.db.select().from(mcpServers).where(eq(mcpServers.id, id)).get();
  }

  insert(row: NewServerRow): void {
    this.db.insert(mcpServers).values(row).run();
  }

  update(id: string, patch: Partial<NewServerRow>): void {
    this.db.update(mcpServers).set(patch).where(eq(mcpServers.id, id)).run();
  }

  delete(id: string): void {
    this.db.transaction((tx) => {
      tx.delete(mcpServerUsers).where(eq(mcpServerUsers.serverId, id)).run();
      tx.delete(mcpServers).where(eq(mcpServers.id, id)).run();
    });
  }

  grants(): { serverId: string; userId: string }[] {
    return this.db
      .select({ serverId: mcpServerUsers.serverId, userId: mcpServerUsers.userId })
      .from(mcpServerUsers)
      .all();
  }

  grant(serverId: string, userId: string, now: number): void {
    this.db.insert(mcpServerUsers).values({ serverId, userId, createdAt: now }).onConflictDoNothing().run();
  }

  revoke(serverId: string, userId: string): void {
    this.db
      .delete(mcpServerUsers)
      .where(and(eq(mcpServerUsers.serverId, serverId), eq(mcpServerUsers.userId, userId)))
      .run();
  }
}
