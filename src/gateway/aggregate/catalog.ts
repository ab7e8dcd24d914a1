import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { BackendConnection } from "./backend-connection.ts";
import { exposedName } from "./names.ts";

/** A tool or prompt as a backend lists it: every field kept as it came (only `name` is read). */
export const NamedItemSchema = z.looseObject({ name: z.string() });
export type NamedItem = z.output<typeof NamedItemSchema>;

/** Pages read from one backend at most (a backend that never stops paging is cut off). */
const MAX_PAGES = 100;

/** What a catalog lists: tools or prompts (the same naming and caching rules for both). */
export interface CatalogKind {
  method: "tools/list" | "prompts/list";
  key: "tools" | "prompts";
  /** The backend capability without which the list is empty (not asked). */
  capability: keyof ServerCapabilities;
}

export const TOOLS: CatalogKind = { method: "tools/list", key: "tools", capability: "tools" };
export const PROMPTS: CatalogKind = { method: "prompts/list", key: "prompts", capability: "prompts" };

/** One backend's items, with the names they have on the aggregated endpoint. */
export interface ServerItems {
  /** The items with their exposed names, in the backend's order. */
  items: NamedItem[];
  /** Exposed name → the backend's own name. */
  byExposedName: Map<string, string>;
  /** Exposed name → the item as listed. */
  itemByExposedName: Map<string, NamedItem>;
}

/**
 * The tools (or prompts) of every backend, cached per backend and shared by all aggregated
 * sessions: a warm list asks no backend. An entry is dropped when its backend says its list
 * changed or the server changes; a fetch that began before it was dropped does not fill the cache.
 */
export class NamedCatalog {
  private readonly entries = new Map<string, ServerItems>();
  private readonly pending = new Map<string, Promise<ServerItems>>();
  private readonly generations = new Map<string, number>();
  /** When each cached entry was fetched (clock time). */
  private readonly fetchedAt = new Map<string, number>();
  private readonly pageSchema: z.ZodType<{ items: NamedItem[]; nextCursor?: string | undefined }>;
  private changes = 0;

  constructor(
    private readonly kind: CatalogKind,
    private readonly separator: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** Sees each backend's list as fetched, with the backend's own names (tool-definition pinning). */
    private readonly review?: (server: McpServer, items: readonly NamedItem[]) => void,
  ) {
    this.pageSchema = z
      .looseObject({ [kind.key]: z.array(NamedItemSchema), nextCursor: z.string().optional() })
      .transform((page) => ({
        items: page[kind.key] as NamedItem[],
        nextCursor: page.nextCursor as string | undefined,
      }));
  }

  /** Moves on whenever any backend's entry is stored or dropped: what a cached merged list is valid for. */
  get version(): number {
    return this.changes;
  }

  cached(serverId: string): ServerItems | undefined {
    return this.entries.get(serverId);
  }

  /** The backend's items, from the cache or fetched through this connection. */
  items(connection: BackendConnection): Promise<ServerItems> {
    const id = connection.server.id;
    const cached = this.entries.get(id);
    if (cached) return Promise.resolve(cached);
    let pending = this.pending.get(id);
    if (!pending) {
      const generation = this.generations.get(id) ?? 0;
      const started: Promise<ServerItems> = this.fetch(connection)
        .then((items) => {
          if ((this.generations.get(id) ?? 0) === generation) this.store(id, items);
          return items;
        })
        .finally(() => {
          if (this.pending.get(id) === started) this.pending.delete(id);
        });
      pending = started;
      this.pending.set(id, pending);
    }
    return pending;
  }

  /** How long ago the cached entry was fetched (undefined: none cached). */
  age(serverId: string): number | undefined {
    const at = this.fetchedAt.get(serverId);
    return at === undefined || !this.entries.has(serverId) ? undefined : this.now() - at;
  }

  /**
   * Fetches the backend's items again through this connection and caches them; true when they
   * differ from what was cached (nothing cached: when there are any). An invalidation while
   * fetching (the server changed, it said its list changed) wins: the items are dropped, false.
   */
  async refresh(connection: BackendConnection): Promise<boolean> {
    const id = connection.server.id;
    const generation = this.generations.get(id) ?? 0;
    const before = this.entries.get(id);
    const fresh = await this.fetch(connection);
    if ((this.generations.get(id) ?? 0) !== generation) return false;
    // A list asked meanwhile filled the entry with what it fetched: kept; told all the same.
    if (this.entries.get(id) === before) this.store(id, fresh);
    if (!before) return fresh.items.length > 0;
    return Bun.deepEquals(before.items, fresh.items) === false;
  }

  invalidate(serverId: string): void {
    this.changes++;
    this.fetchedAt.delete(serverId);
    this.entries.delete(serverId);
    this.pending.delete(serverId);
    this.generations.set(serverId, (this.generations.get(serverId) ?? 0) + 1);
  }

  private store(id: string, items: ServerItems): void {
    this.changes++;
    this.entries.set(id, items);
    this.fetchedAt.set(id, this.now());
  }

  private async fetch(connection: BackendConnection): Promise<ServerItems> {
    const server = connection.server.name;
    const items: NamedItem[] = [];
    const byExposedName = new Map<string, string>();
    const itemByExposedName = new Map<string, NamedItem>();
    const fetched: NamedItem[] = [];
    const capabilities = await connection.capabilities();
    if (!capabilities?.[this.kind.capability]) return { items, byExposedName, itemByExposedName };
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await connection.request(
        { method: this.kind.method, params: cursor === undefined ? {} : { cursor } },
        this.pageSchema,
      );
      for (const item of result.items) {
        const name = exposedName(server, item.name, this.separator);
        if (byExposedName.has(name)) {
          this.logger.warn(
            { server, name: item.name, kind: this.kind.key },
            "two items of a backend share one aggregated name; the first is kept",
          );
          continue;
        }
        byExposedName.set(name, item.name);
        const exposed = { ...item, name };
        itemByExposedName.set(name, exposed);
        items.push(exposed);
      }
      fetched.push(...result.items);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    this.review?.(connection.server, fetched);
    return { items, byExposedName, itemByExposedName };
  }
}
