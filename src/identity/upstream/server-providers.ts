import { eq } from "drizzle-orm";
import type { Config } from "../../config/load.ts";
import type { Db } from "../../db/connection.ts";
import { serverIdentityProviders } from "../../db/schema/index.ts";
import type { McpServer } from "../../gateway/types.ts";
import type { Principal } from "../user-service.ts";

/**
 * Per server, the upstream providers whose users may use it (the seed's `oauth_provider` per
 * service, generalised to a list): a user passes when they have a linked identity at one of
 * them. Servers of the config file take it from `mcp_services.*.identity_providers`, servers of
 * the admin API from the table. In memory: the access check reads it on every request.
 */
export class ServerProviderLists {
  private readonly lists = new Map<string, readonly string[]>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly now: () => number,
  ) {
    for (const row of db.select().from(serverIdentityProviders).all()) {
      const parsed: unknown = JSON.parse(row.providers);
      if (Array.isArray(parsed))
        this.lists.set(
          row.serverId,
          parsed.filter((p): p is string => typeof p === "string"),
        );
    }
  }

  /** The server's list; undefined when it has none (every user who may use it otherwise). */
  of(server: McpServer): readonly string[] | undefined {
    if (server.managedBy === "config") return this.config.mcpServices[server.name]?.identity_providers;
    return this.lists.get(server.id);
  }

  admits(server: McpServer, principal: Principal): boolean {
    const list = this.of(server);
    if (list === undefined) return true;
    const linked = principal.upstream?.linkedProviders;
    return linked !== undefined && list.some((p) => linked.includes(p));
  }

  /** Sets (or with undefined removes) the list of an admin-API server. */
  set(serverId: string, providers: readonly string[] | undefined): void {
    if (providers === undefined) {
      this.db.delete(serverIdentityProviders).where(eq(serverIdentityProviders.serverId, serverId)).run();
      this.lists.delete(serverId);
      return;
    }
    const row = { serverId, providers: JSON.stringify(providers), updatedAt: this.now() };
    this.db
      .insert(serverIdentityProviders)
      .values(row)
      .onConflictDoUpdate({
        target: serverIdentityProviders.serverId,
        set: { providers: row.providers, updatedAt: row.updatedAt },
      })
      .run();
    this.lists.set(serverId, [...providers]);
  }
}
