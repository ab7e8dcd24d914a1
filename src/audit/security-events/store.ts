import { and, count, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { securityEvents } from "../../db/schema/security-events.ts";
import type { SecurityEvent, SecurityEventType, SecuritySeverity } from "./types.ts";

/** A stored event: the recorded one with its row id. */
export interface StoredSecurityEvent extends SecurityEvent {
  id: number;
}

/** What GET /admin/api/security-logs narrows by; every field optional, all given ones must hold. */
export interface SecurityEventFilter {
  types?: readonly SecurityEventType[];
  severities?: readonly SecuritySeverity[];
  userId?: string;
  clientId?: string;
  ip?: string;
  /** Unix ms, inclusive. */
  from?: number;
  /** Unix ms, exclusive. */
  to?: number;
}

type Row = typeof securityEvents.$inferSelect;

function toEvent(row: Row): StoredSecurityEvent {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      details = parsed as Record<string, unknown>;
    }
  } catch {
    details = {};
  }
  return {
    id: row.id,
    at: row.at,
    type: row.type as SecurityEventType,
    severity: row.severity as SecuritySeverity,
    userId: row.userId,
    clientId: row.clientId,
    ip: row.ip,
    userAgent: row.userAgent,
    details,
  };
}

/** The security_events table: batch inserts, filtered pages (newest first), retention deletes. */
export class SecurityEventStore {
  constructor(private readonly db: Db) {}

  /** Inserts the batch in one transaction. */
  insertMany(events: readonly SecurityEvent[]): void {
    if (events.length === 0) return;
    const rows = events.map((e) => ({
      at: e.at,
      type: e.type,
      severity: e.severity,
      userId: e.userId,
      clientId: e.clientId,
      ip: e.ip,
      userAgent: e.userAgent,
      details: JSON.stringify(e.details),
    }));
    this.db.transaction((tx) => {
      // SQLite allows at most 32766 bound variables per statement: 9 columns, so chunks of 500.
      for (let i = 0; i < rows.length; i += 500)
        tx.insert(securityEvents)
          .values(rows.slice(i, i + 500))
          .run();
    });
  }

  page(
    filter: SecurityEventFilter,
    limit: number,
    offset: number,
  ): { rows: StoredSecurityEvent[]; total: number } {
    const where = this.where(filter);
    const rows = this.db
      .select()
      .from(securityEvents)
      .where(where)
      .orderBy(desc(securityEvents.at), desc(securityEvents.id))
      .limit(limit)
      .offset(offset)
      .all();
    const total = this.db.select({ n: count() }).from(securityEvents).where(where).get()?.n ?? 0;
    return { rows: rows.map(toEvent), total };
  }

  /** Deletes every event recorded before `epochMs`; returns how many. */
  deleteBefore(epochMs: number): number {
    return this.db.$client.run("DELETE FROM security_events WHERE at < ?", [epochMs]).changes;
  }

  private where(filter: SecurityEventFilter): SQL | undefined {
    const conditions: (SQL | undefined)[] = [
      filter.types ? inArray(securityEvents.type, [...filter.types]) : undefined,
      filter.severities ? inArray(securityEvents.severity, [...filter.severities]) : undefined,
      filter.userId !== undefined ? eq(securityEvents.userId, filter.userId) : undefined,
      filter.clientId !== undefined ? eq(securityEvents.clientId, filter.clientId) : undefined,
      filter.ip !== undefined ? eq(securityEvents.ip, filter.ip) : undefined,
      filter.from !== undefined ? gte(securityEvents.at, filter.from) : undefined,
      filter.to !== undefined ? lt(securityEvents.at, filter.to) : undefined,
    ];
    return and(...conditions);
  }
}
