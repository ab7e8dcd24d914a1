import type { SecurityEventSink } from "../audit/security-events/types.ts";
import {
  type IpBytes,
  type IpNetwork,
  inNetwork,
  parseIp,
  parseNetwork,
  unmappedIp,
  unmappedNetwork,
} from "../gateway/ip-networks.ts";
import type { McpServer } from "../gateway/types.ts";
import type { Principal } from "../identity/user-service.ts";
import type { PolicyChange } from "./access-policy.ts";
import type { NetworkStore, NetworkSubject } from "./network-store.ts";

export interface NetworkPolicyDeps {
  store?: NetworkStore;
  /** Lists of config-file servers (`mcp_services.*.allowed_networks`), by server id: not stored. */
  configLists: ReadonlyMap<string, readonly string[]>;
  /** The groups a user is a member of (the access policy's memberships). */
  groupsOf: (userId: string) => Iterable<string> | undefined;
  /** The client's address: the socket peer, or what a trusted proxy says (src/http/client-ip.ts). */
  clientIp: (request: Request) => string;
  events?: SecurityEventSink;
}

interface Verdict {
  ip: string | undefined;
  allowed: boolean;
}

/**
 * Network allow-lists (CIDR) of servers, users and groups. A server's list, when set, must contain
 * the client's address; so must the user's own list or one of their groups' lists, when any of
 * them is set (their union). Admins are no exception: the lists say where requests may come from,
 * not who may make them. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, a dual-stack socket's
 * IPv4 peers) match the IPv4 networks.
 *
 * Cost: with no list anywhere (the usual case) `active` is false and callers skip everything,
 * the client address is not even looked up. Otherwise the last verdict of each (user, server)
 * pair is kept with the address it was for, so a user calling from one address costs two map
 * lookups and a string comparison; the address is parsed only when it changes. Every change of a
 * list or a membership drops the kept verdicts at once (nothing waits to expire).
 */
export class NetworkPolicy {
  private readonly lists: Record<NetworkSubject, Map<string, IpNetwork[]>> = {
    server: new Map(),
    user: new Map(),
    group: new Map(),
  };
  /** A user's own and groups' networks, united; null when none of them has a list. */
  private readonly userRules = new Map<string, IpNetwork[] | null>();
  /** By user id ("" for anonymous requests), then server id. */
  private readonly verdicts = new Map<string, Map<string, Verdict>>();
  private readonly listeners: ((users: PolicyChange) => void)[] = [];
  /** True when any server, user or group has a list. */
  active = false;

  constructor(private readonly deps: NetworkPolicyDeps) {
    for (const [id, networks] of deps.configLists) this.lists.server.set(id, parsedList(networks));
    for (const stored of deps.store?.all() ?? []) {
      // The config file's list of a server wins (its servers are not editable in the API).
      if (stored.kind === "server" && deps.configLists.has(stored.id)) continue;
      this.lists[stored.kind].set(stored.id, parsedList(stored.networks));
    }
    this.refreshActive();
  }

  /** Called after a list changes, with the users it may concern. */
  onChange(listener: (users: PolicyChange) => void): void {
    this.listeners.push(listener);
  }

  /** The list of a server, user or group as written, or undefined when it has none. */
  list(kind: NetworkSubject, id: string): string[] | undefined {
    return this.lists[kind].get(id)?.map((network) => network.text);
  }

  /** Whether a server's list comes from the config file (not editable through the API). */
  configManaged(serverId: string): boolean {
    return this.deps.configLists.has(serverId);
  }

  /**
   * Stores (or, with undefined or an empty list, removes) a list; it applies from the next
   * request. Entries must be valid (`networkProblem`); an invalid one would be skipped.
   */
  set(kind: NetworkSubject, id: string, networks: readonly string[] | undefined): void {
    if (networks === undefined || networks.length === 0) {
      this.deps.store?.remove(kind, id);
      this.lists[kind].delete(id);
    } else {
      this.deps.store?.set({ kind, id, networks: [...networks] });
      this.lists[kind].set(id, parsedList(networks));
    }
    this.refreshActive();
    this.decisionsChanged();
    const users: PolicyChange = kind === "user" ? [id] : "all";
    for (const listener of this.listeners) listener(users);
  }

  /** Memberships changed (or anything else a verdict depends on): kept verdicts go. */
  decisionsChanged(): void {
    this.userRules.clear();
    this.verdicts.clear();
  }

  /**
   * May a request from `ip` (undefined: unknown) by this user (undefined: anonymous) reach the
   * server? Always true when no list is set anywhere.
   */
  reaches(serverId: string, userId: string | undefined, ip: string | undefined): boolean {
    if (!this.active) return true;
    const key = userId ?? "";
    let perUser = this.verdicts.get(key);
    if (perUser === undefined) {
      perUser = new Map();
      this.verdicts.set(key, perUser);
    }
    const last = perUser.get(serverId);
    if (last !== undefined && last.ip === ip) return last.allowed;
    const allowed = this.compute(serverId, userId, ip);
    perUser.set(serverId, { ip, allowed });
    return allowed;
  }

  /**
   * The per-server proxy's check (call only when `active`): false when the client's address may
   * not reach the server, after recording a `permission_denied` security event.
   */
  admits(request: Request, server: McpServer, principal: Principal | undefined): boolean {
    const ip = this.deps.clientIp(request);
    if (this.reaches(server.id, principal?.id, ip)) return true;
    this.deps.events?.record({
      type: "permission_denied",
      userId: principal?.id ?? null,
      ip,
      userAgent: request.headers.get("user-agent"),
      details: { server: server.name, reason: "network_not_allowed" },
    });
    return false;
  }

  private compute(serverId: string, userId: string | undefined, ip: string | undefined): boolean {
    const serverList = this.lists.server.get(serverId);
    const userList = userId === undefined ? null : this.userRule(userId);
    if (serverList === undefined && userList === null) return true;
    const parsed = ip === undefined ? undefined : parseIp(ip);
    if (parsed === undefined) return false; // an unknown address is in no network
    const address = unmappedIp(parsed);
    return (
      (serverList === undefined || inAny(address, serverList)) &&
      (userList === null || inAny(address, userList))
    );
  }

  private userRule(userId: string): IpNetwork[] | null {
    let rule = this.userRules.get(userId);
    if (rule === undefined) {
      const networks: IpNetwork[] = [...(this.lists.user.get(userId) ?? [])];
      let any = this.lists.user.has(userId);
      if (this.lists.group.size > 0) {
        for (const groupId of this.deps.groupsOf(userId) ?? []) {
          const list = this.lists.group.get(groupId);
          if (list === undefined) continue;
          any = true;
          networks.push(...list);
        }
      }
      rule = any ? networks : null;
      this.userRules.set(userId, rule);
    }
    return rule;
  }

  private refreshActive(): void {
    this.active = this.lists.server.size > 0 || this.lists.user.size > 0 || this.lists.group.size > 0;
  }
}

/** Why an entry is not a network (for a 400 naming it), or undefined when it is one. */
export function networkProblem(entry: string): string | undefined {
  return parseNetwork(entry.trim()) === undefined
    ? `${JSON.stringify(entry)} is not an IPv4 or IPv6 network in CIDR form (e.g. 10.0.0.0/8, 2001:db8::/32)`
    : undefined;
}

function parsedList(entries: readonly string[]): IpNetwork[] {
  return entries.flatMap((entry) => {
    const network = parseNetwork(entry.trim());
    return network === undefined ? [] : [unmappedNetwork(network)];
  });
}

function inAny(address: IpBytes, networks: readonly IpNetwork[]): boolean {
  for (const network of networks) if (inNetwork(address, network)) return true;
  return false;
}

/** The lists of config-file servers (`mcp_services.*.allowed_networks`), by server id. */
export function configNetworkLists(
  services: Record<string, { allowed_networks?: string[] | undefined }>,
  serverId: (name: string) => string,
): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  for (const [name, service] of Object.entries(services)) {
    if (service.allowed_networks !== undefined && service.allowed_networks.length > 0)
      lists.set(serverId(name), service.allowed_networks);
  }
  return lists;
}
