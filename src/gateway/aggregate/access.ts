import { scopeCovers } from "../../oauth/scopes.ts";
import type { ServerRegistry } from "../registry.ts";
import type { McpServer } from "../types.ts";
import type { Caller } from "../user-context.ts";

/** The access policy's decision for a user on a server, tool rules included (src/policy). */
export interface AccessDecider {
  decide(
    server: McpServer,
    principal: Caller["principal"],
  ): { granted: boolean; toolAllowed: ((tool: string) => boolean) | undefined };
  /** Network allow-lists: may a request from `ip` reach the server for this user (anonymous: undefined)? */
  reaches?(server: McpServer, principal: Caller["principal"] | undefined, ip: string | undefined): boolean;
}

/**
 * Which servers (and tools) the aggregated endpoint offers a caller: the same rules as the
 * per-server proxy (enabled; the network allow-lists; a server without auth to anyone; otherwise
 * what the access policy allows, tool rules included, with the scopes the server requires in the
 * token). Decided on every request, so a grant, a list or a server change applies at once.
 */
export class ServerAccess {
  /** Servers the last health check found offline: left out of lists without being asked. */
  private readonly offline = new Set<string>();

  constructor(
    private readonly registry: ServerRegistry,
    private readonly policy?: AccessDecider,
  ) {}

  /** The tool rules of the caller's grant on a server (undefined: every tool). */
  toolFilter(server: McpServer, caller: Caller): ((tool: string) => boolean) | undefined {
    if (!server.authRequired || !this.policy) return undefined;
    const decision = this.policy.decide(server, caller.principal);
    return decision.granted ? decision.toolAllowed : () => false;
  }

  /** Every server, allowed or not, in the order `servers` keeps (do not modify the array). */
  all(): readonly McpServer[] {
    return this.registry.list();
  }

  servers(caller: Caller): McpServer[] {
    return this.registry.list().filter((server) => this.allows(server, caller));
  }

  /** The caller's servers whose items a list shows: not those the health check found offline. */
  listable(caller: Caller): McpServer[] {
    const servers = this.servers(caller);
    return this.offline.size === 0 ? servers : servers.filter((server) => !this.offline.has(server.id));
  }

  /** Records a health check's verdict; true when it differs from the one recorded. */
  markOffline(serverId: string, offline: boolean): boolean {
    if (this.offline.has(serverId) === offline) return false;
    if (offline) this.offline.add(serverId);
    else this.offline.delete(serverId);
    return true;
  }

  isOffline(serverId: string): boolean {
    return this.offline.has(serverId);
  }

  allows(server: McpServer, caller: Caller): boolean {
    if (!server.enabled) return false;
    // The caller's address as of their latest request (a server left out of lists, its calls refused).
    if (this.policy?.reaches && !this.policy.reaches(server, caller.principal, caller.ip)) return false;
    if (!server.authRequired) return true;
    if (!this.registry.canAccess(server, caller.principal)) return false;
    return server.scopes.length === 0 || scopeCovers(caller.scope, server.scopes);
  }
}
