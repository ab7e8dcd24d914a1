import type { Clock } from "../clock.ts";
import type { McpServer } from "../gateway/types.ts";
import type { Principal } from "../identity/user-service.ts";
import type { NetworkPolicy } from "./network-policy.ts";
import type { GrantRow, PolicyStore, PrincipalType } from "./policy-store.ts";

/** A server granted to a user or a group. `allowedTools` null: every tool. */
export interface Grant {
  id: string;
  serverId: string;
  principalType: PrincipalType;
  principalId: string;
  allowedTools: string[] | null;
  deniedTools: string[];
  createdAt: number;
  updatedAt: number;
}

/** May this user use this server, and which of its tools (undefined: all of them, untouched). */
export interface AccessDecision {
  granted: boolean;
  toolAllowed: ((tool: string) => boolean) | undefined;
}

/**
 * Whose access may have changed: these users, or "all" (a server's `open_to_all`, a server created
 * or deleted). Listeners hear it after the change is applied: a decision asked then sees it.
 */
export type PolicyChange = readonly string[] | "all";

export type GrantInput = Pick<
  Grant,
  "serverId" | "principalType" | "principalId" | "allowedTools" | "deniedTools"
>;

const DENIED: AccessDecision = { granted: false, toolAllowed: undefined };
const EVERYTHING: AccessDecision = { granted: true, toolAllowed: undefined };
const NOTHING = () => false;

/**
 * Who may use which server and tool, from the server's `open_to_all`, grants to users and grants
 * to groups. Everything in memory; the decision of a (user, server) pair is computed on its first
 * request and kept until any grant, group membership, group or server changes: then every kept
 * decision is dropped at once, so the next request sees the change (nothing waits to expire).
 * Kept decisions are bounded by the pairs that made requests (users × servers).
 *
 * How grants combine: access when the server is open to all or any grant (the user's own or a
 * group's) names it; a tool is allowed when some grant (or open_to_all) allows it (no list, or
 * listed) and no grant of the user denies it: a denial always wins. Admins use every server and
 * tool.
 */
export class AccessPolicy {
  private readonly grantsByServer = new Map<string, Grant[]>();
  private readonly grantsById = new Map<string, Grant>();
  private readonly groupsOfUser = new Map<string, Set<string>>();
  private readonly decisions = new Map<string, Map<string, AccessDecision>>();
  private readonly listeners: ((users: PolicyChange) => void)[] = [];
  /** Further conditions on non-admin users (the per-server identity providers, src/identity/upstream). */
  private readonly restrictions: ((server: McpServer, principal: Principal) => boolean)[] = [];

  constructor(
    private readonly store: PolicyStore,
    private readonly clock: Clock,
    private readonly serverById: (id: string) => McpServer | undefined,
    /** Network allow-lists: where requests may come from (src/policy/network-policy.ts). */
    readonly networks?: NetworkPolicy,
  ) {
    for (const row of store.allGrants()) this.remember(fromRow(row));
    for (const { groupId, userId } of store.allMemberships()) this.groupSet(userId).add(groupId);
    // A list changed: the aggregated sessions' lists follow like after a grant change.
    networks?.onChange((users) => this.changed(users));
  }

  /**
   * May a request from `ip` reach the server for this user (network allow-lists)? True when no
   * list is set anywhere, without looking at anything else.
   */
  reaches(server: McpServer, principal: Principal | undefined, ip: string | undefined): boolean {
    const networks = this.networks;
    return networks === undefined || !networks.active || networks.reaches(server.id, principal?.id, ip);
  }

  /** The groups a user is a member of. */
  groupsOf(userId: string): ReadonlySet<string> | undefined {
    return this.groupsOfUser.get(userId);
  }

  /** The proxy's check, once per request: a memory lookup, no allocation after the first. */
  decide(server: McpServer, principal: Principal): AccessDecision {
    if (!principal.isActive) return DENIED;
    if (principal.isAdmin) return EVERYTHING;
    for (const admits of this.restrictions) if (!admits(server, principal)) return DENIED;
    let perUser = this.decisions.get(principal.id);
    if (perUser === undefined) {
      perUser = new Map();
      this.decisions.set(principal.id, perUser);
    }
    let decision = perUser.get(server.id);
    if (decision === undefined) {
      decision = this.compute(server, principal.id);
      perUser.set(server.id, decision);
    }
    return decision;
  }

  /**
   * Called after every change of access (a grant given or revoked, a membership, a group, a user
   * deleted or their role changed, a server changed) with the users it may concern.
   */
  onChange(listener: (users: PolicyChange) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Adds a condition every non-admin request must meet, checked before the kept decision (it must
   * be a memory lookup). Whoever adds one calls `userChanged`/`serverChanged` when its answer changes.
   */
  restrict(admits: (server: McpServer, principal: Principal) => boolean): void {
    this.restrictions.push(admits);
  }

  /** A user's principal changed (admin role, active state): their decisions may differ now. */
  userChanged(userId: string): void {
    this.changed([userId]);
  }

  canUse(server: McpServer, principal: Principal): boolean {
    return this.decide(server, principal).granted;
  }

  /**
   * Which tools of the server this user may see and call: undefined when all of them (no tool
   * rule applies: answers pass through untouched), a predicate otherwise (false for every tool of
   * a server they may not use). For the per-server proxy and the aggregated endpoint alike.
   */
  toolFilter(principal: Principal, serverId: string): ((tool: string) => boolean) | undefined {
    const server = this.serverById(serverId);
    if (server === undefined) return NOTHING;
    const decision = this.decide(server, principal);
    return decision.granted ? decision.toolAllowed : NOTHING;
  }

  grantsOf(serverId: string): Grant[] {
    return [...(this.grantsByServer.get(serverId) ?? [])];
  }

  grant(id: string): Grant | undefined {
    return this.grantsById.get(id);
  }

  /** The grant of this principal on this server, if any (one per principal and server). */
  grantFor(serverId: string, principalType: PrincipalType, principalId: string): Grant | undefined {
    return this.grantsByServer
      .get(serverId)
      ?.find((g) => g.principalType === principalType && g.principalId === principalId);
  }

  /** Users with a grant of their own on the server (the server view's `users`). */
  grantedUsers(serverId: string): string[] {
    return (this.grantsByServer.get(serverId) ?? [])
      .filter((g) => g.principalType === "user")
      .map((g) => g.principalId);
  }

  addGrant(input: GrantInput): Grant {
    const now = this.clock.now();
    const grant: Grant = { ...input, id: `grant_${Bun.randomUUIDv7()}`, createdAt: now, updatedAt: now };
    this.store.insertGrant(toRow(grant));
    this.remember(grant);
    this.changed(this.usersOf(grant));
    return grant;
  }

  removeGrant(id: string): boolean {
    const grant = this.grantsById.get(id);
    if (grant === undefined) return false;
    this.store.deleteGrant(id);
    this.forget(grant);
    this.changed(this.usersOf(grant));
    return true;
  }

  /** The legacy `PUT …/users/{userId}`: every tool, unless the user already has a grant. */
  grantUser(serverId: string, userId: string): Grant {
    return (
      this.grantFor(serverId, "user", userId) ??
      this.addGrant({
        serverId,
        principalType: "user",
        principalId: userId,
        allowedTools: null,
        deniedTools: [],
      })
    );
  }

  /** The legacy `DELETE …/users/{userId}`: the user's own grant goes (group grants stay). */
  revokeUser(serverId: string, userId: string): void {
    const grant = this.grantFor(serverId, "user", userId);
    if (grant !== undefined) this.removeGrant(grant.id);
  }

  isMember(groupId: string, userId: string): boolean {
    return this.groupsOfUser.get(userId)?.has(groupId) ?? false;
  }

  addMember(groupId: string, userId: string): void {
    this.store.addMember(groupId, userId, this.clock.now());
    this.groupSet(userId).add(groupId);
    this.changed([userId]);
  }

  removeMember(groupId: string, userId: string): boolean {
    const removed = this.store.removeMember(groupId, userId);
    this.groupsOfUser.get(userId)?.delete(groupId);
    this.changed([userId]);
    return removed;
  }

  /** Deletes a group with its memberships, grants and network list. */
  removeGroup(groupId: string): boolean {
    const members = this.membersOf(groupId);
    const removed = this.store.deleteGroup(groupId);
    for (const groupIds of this.groupsOfUser.values()) groupIds.delete(groupId);
    for (const grant of [...this.grantsById.values()]) {
      if (grant.principalType === "group" && grant.principalId === groupId) this.forget(grant);
    }
    if (this.networks?.list("group", groupId)) this.networks.set("group", groupId, undefined);
    this.changed(members);
    return removed;
  }

  /** A deleted user: their grants and network list go (memberships went with the row). */
  forgetUser(userId: string): void {
    this.store.deleteGrantsOf("user", userId);
    for (const grant of [...this.grantsById.values()]) {
      if (grant.principalType === "user" && grant.principalId === userId) this.forget(grant);
    }
    this.groupsOfUser.delete(userId);
    if (this.networks?.list("user", userId)) this.networks.set("user", userId, undefined);
    this.changed([userId]);
  }

  /** A server created, changed (`open_to_all`) or deleted (its grants and network list go with it). */
  serverChanged(serverId: string): void {
    const deleted = this.serverById(serverId) === undefined;
    if (deleted && this.grantsByServer.has(serverId)) {
      this.store.deleteGrantsOfServer(serverId);
      for (const grant of this.grantsOf(serverId)) this.forget(grant);
    }
    if (deleted && this.networks?.list("server", serverId)) this.networks.set("server", serverId, undefined);
    this.changed("all");
  }

  private compute(server: McpServer, userId: string): AccessDecision {
    const groupIds = this.groupsOfUser.get(userId);
    const applicable = (this.grantsByServer.get(server.id) ?? []).filter((g) =>
      g.principalType === "user" ? g.principalId === userId : (groupIds?.has(g.principalId) ?? false),
    );
    if (!server.openToAll && applicable.length === 0) return DENIED;
    const denied = new Set(applicable.flatMap((g) => g.deniedTools));
    const everyTool = server.openToAll || applicable.some((g) => g.allowedTools === null);
    if (everyTool && denied.size === 0) return EVERYTHING;
    const allowed = new Set(applicable.flatMap((g) => g.allowedTools ?? []));
    return {
      granted: true,
      toolAllowed: (tool) => !denied.has(tool) && (everyTool || allowed.has(tool)),
    };
  }

  private changed(users: PolicyChange): void {
    this.decisions.clear();
    this.networks?.decisionsChanged();
    for (const listener of this.listeners) listener(users);
  }

  /** The users a grant concerns: its user, or its group's members. */
  private usersOf(grant: Grant): string[] {
    return grant.principalType === "user" ? [grant.principalId] : this.membersOf(grant.principalId);
  }

  private membersOf(groupId: string): string[] {
    const members: string[] = [];
    for (const [userId, groupIds] of this.groupsOfUser) if (groupIds.has(groupId)) members.push(userId);
    return members;
  }

  private remember(grant: Grant): void {
    this.grantsById.set(grant.id, grant);
    let list = this.grantsByServer.get(grant.serverId);
    if (list === undefined) {
      list = [];
      this.grantsByServer.set(grant.serverId, list);
    }
    list.push(grant);
  }

  private forget(grant: Grant): void {
    this.grantsById.delete(grant.id);
    const list = this.grantsByServer.get(grant.serverId)?.filter((g) => g.id !== grant.id) ?? [];
    if (list.length === 0) this.grantsByServer.delete(grant.serverId);
    else this.grantsByServer.set(grant.serverId, list);
  }

  private groupSet(userId: string): Set<string> {
    let set = this.groupsOfUser.get(userId);
    if (set === undefined) {
      set = new Set();
      this.groupsOfUser.set(userId, set);
    }
    return set;
  }
}

function toolList(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

function fromRow(row: GrantRow): Grant {
  return {
    id: row.id,
    serverId: row.serverId,
    principalType: row.principalType === "group" ? "group" : "user",
    principalId: row.principalId,
    allowedTools: toolList(row.allowedTools),
    deniedTools: toolList(row.deniedTools) ?? [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRow(grant: Grant): GrantRow {
  return {
    ...grant,
    allowedTools: grant.allowedTools === null ? null : JSON.stringify(grant.allowedTools),
    deniedTools: JSON.stringify(grant.deniedTools),
  };
}
