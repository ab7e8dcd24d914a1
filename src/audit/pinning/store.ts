import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { serverPinning, toolPinChanges, toolPins } from "../../db/schema/index.ts";
import type { PinnedDefinition, PinnedKind, PinningMode } from "./definitions.ts";

export type PinRow = typeof toolPins.$inferSelect;
export type ChangeRow = typeof toolPinChanges.$inferSelect;

/** Drizzle queries of the pinning tables; nothing else touches them. */
export class PinningStore {
  constructor(private readonly db: Db) {}

  mode(serverId: string): PinningMode | undefined {
    return this.db.select().from(serverPinning).where(eq(serverPinning.serverId, serverId)).get()?.mode as
      | PinningMode
      | undefined;
  }

  setMode(serverId: string, mode: PinningMode, now: number): void {
    this.db
      .insert(serverPinning)
      .values({ serverId, mode, updatedAt: now })
      .onConflictDoUpdate({ target: serverPinning.serverId, set: { mode, updatedAt: now } })
      .run();
  }

  pins(serverId: string): PinRow[] {
    return this.db.select().from(toolPins).where(eq(toolPins.serverId, serverId)).all();
  }

  /** Every approved tool's server and name (for the audit's shadowing check). */
  approvedToolNames(): { serverId: string; name: string }[] {
    return this.db
      .select({ serverId: toolPins.serverId, name: toolPins.name })
      .from(toolPins)
      .where(eq(toolPins.kind, "tool"))
      .all();
  }

  changes(serverId: string): ChangeRow[] {
    return this.db.select().from(toolPinChanges).where(eq(toolPinChanges.serverId, serverId)).all();
  }

  recordChange(serverId: string, item: PinnedDefinition, findings: string, now: number): void {
    const row = {
      serverId,
      kind: item.kind,
      name: item.name,
      hash: item.hash,
      definition: JSON.stringify(item.definition),
      findings,
      seenAt: now,
    };
    this.db
      .insert(toolPinChanges)
      .values(row)
      .onConflictDoUpdate({
        target: [toolPinChanges.serverId, toolPinChanges.kind, toolPinChanges.name],
        set: { hash: row.hash, definition: row.definition, findings, seenAt: now },
      })
      .run();
  }

  dropChange(serverId: string, kind: PinnedKind, name: string): void {
    this.db
      .delete(toolPinChanges)
      .where(
        and(
          eq(toolPinChanges.serverId, serverId),
          eq(toolPinChanges.kind, kind),
          eq(toolPinChanges.name, name),
        ),
      )
      .run();
  }

  /** Approves the given changes: each becomes the pin of its name, in one transaction. */
  approve(serverId: string, rows: readonly ChangeRow[], by: string | null, now: number): void {
    this.db.transaction((tx) => {
      for (const row of rows) {
        const pin = {
          serverId,
          kind: row.kind,
          name: row.name,
          hash: row.hash,
          definition: row.definition,
          approvedAt: now,
          approvedBy: by,
        };
        tx.insert(toolPins)
          .values(pin)
          .onConflictDoUpdate({
            target: [toolPins.serverId, toolPins.kind, toolPins.name],
            set: { hash: pin.hash, definition: pin.definition, approvedAt: now, approvedBy: by },
          })
          .run();
        tx.delete(toolPinChanges)
          .where(
            and(
              eq(toolPinChanges.serverId, serverId),
              eq(toolPinChanges.kind, row.kind),
              eq(toolPinChanges.name, row.name),
            ),
          )
          .run();
      }
    });
  }

  forget(serverId: string): void {
    this.db.transaction((tx) => {
      tx.delete(toolPins).where(eq(toolPins.serverId, serverId)).run();
      tx.delete(toolPinChanges).where(eq(toolPinChanges.serverId, serverId)).run();
      tx.delete(serverPinning).where(eq(serverPinning.serverId, serverId)).run();
    });
  }
}
