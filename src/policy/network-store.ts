import { and, eq } from "drizzle-orm";
import type { Db } from "../db/connection.ts";
import { networkAllowLists } from "../db/schema/networks.ts";

export type NetworkSubject = "server" | "user" | "group";

export interface StoredNetworkList {
  kind: NetworkSubject;
  id: string;
  /** As the admin wrote them (validated on the way in). */
  networks: string[];
}

const KINDS: readonly string[] = ["server", "user", "group"];

/** The only place with SQL for network allow-lists (read at start, written by the admin API). */
export class NetworkStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  all(): StoredNetworkList[] {
    return this.db
      .select()
      .from(networkAllowLists)
      .all()
      .flatMap((row) =>
        KINDS.includes(row.subjectKind)
          ? [{ kind: row.subjectKind as NetworkSubject, id: row.subjectId, networks: textList(row.networks) }]
          : [],
      );
  }

  set(list: StoredNetworkList): void {
    const values = { networks: JSON.stringify(list.networks), updatedAt: this.now() };
    this.db
      .insert(networkAllowLists)
      .values({ subjectKind: list.kind, subjectId: list.id, ...values })
      .onConflictDoUpdate({
        target: [networkAllowLists.subjectKind, networkAllowLists.subjectId],
        set: values,
      })
      .run();
  }

  remove(kind: NetworkSubject, id: string): void {
    this.db
      .delete(networkAllowLists)
      .where(and(eq(networkAllowLists.subjectKind, kind), eq(networkAllowLists.subjectId, id)))
      .run();
  }
}

function textList(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === "string") : [];
  } catch {
    return [];
  }
}
