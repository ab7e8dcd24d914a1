import { eq } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { mcpServers } from "../db/schema/gateway.ts";

export type ServerRow = typeof mcpServers.$inferSelect;
export type NewServerRow = typeof mcpServers.$inferInsert;

/** The only place with SQL for servers (grants: src/policy/policy-store.ts). */
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
    this.db.delete(mcpServers).where(eq(mcpServers.id, id)).run();
  }
}
