import type { Clock } from "../../clock.ts";
import { readText } from "../../http/body.ts";
import { jsonRpcRequestId } from "../../http/json-rpc-id.ts";
import { rateLimitHeaders } from "./headers.ts";
import { type RatePolicy, SlidingWindowLimiter } from "./limiter.ts";
import type { OverrideKind, RateOverride, RateOverrideStore } from "./override-store.ts";

/** A JSON-RPC error answer, built by the caller's own helper (the gateway's sandboxed rpcError). */
export type RpcErrorAnswer = (
  status: number,
  id: string | number | null,
  code: number,
  message: string,
  headers: Record<string, string>,
) => Response;

/** Group memberships (the access policy's), and a way to hear when they change. */
export interface GroupMemberships {
  groupsOf(userId: string): Iterable<string> | undefined;
  onChange(listener: () => void): void;
}

/**
 * MCP requests per user and server (RATE_LIMIT_MCP_MAX per RATE_LIMIT_MCP_WINDOW), with the
 * admin's overrides. Precedence: the user's own override, else the most generous of their groups'
 * overrides (the highest rate, max per second; on a tie the larger max), else the server's, else
 * the default. One limiter per server keyed by user id, so the hot path is two map lookups (three
 * when some user or group has an override) and a few arithmetic operations, with no key string
 * built, no object allocated when the request is allowed, and no database read (overrides are
 * read at start and kept in memory by the admin API that writes them). A user's group-derived
 * limit is worked out on their first request and kept until an override or a membership changes.
 */
export class McpRateLimits {
  private readonly limiters = new Map<string, SlidingWindowLimiter>();
  private readonly serverPolicies = new Map<string, RatePolicy>();
  private readonly userPolicies = new Map<string, RatePolicy>();
  private readonly groupPolicies = new Map<string, RatePolicy>();
  /** Per user while some group has an override: their own or their groups' limit (null: neither). */
  private readonly userLimits = new Map<string, RatePolicy | null>();
  private groups: GroupMemberships | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly policy: RatePolicy,
    private readonly maxKeys: number,
    private readonly maxBodyBytes: number,
    private readonly store?: RateOverrideStore,
  ) {
    for (const override of store?.all() ?? []) this.remember(override);
  }

  /** Counts one request of `userId` to server `serverId`; false when over the limit (then call `refusal`). */
  allow(serverId: string, userId: string): boolean {
    let limiter = this.limiters.get(serverId);
    if (limiter === undefined) {
      limiter = new SlidingWindowLimiter(
        this.clock,
        this.serverPolicies.get(serverId) ?? this.policy,
        this.maxKeys,
      );
      this.limiters.set(serverId, limiter);
    }
    if (this.userPolicies.size === 0 && this.groupPolicies.size === 0) return limiter.consume(userId);
    return limiter.consume(userId, 1, this.userLimit(userId));
  }

  /** Where group memberships come from (set once the access policy exists). */
  useGroups(groups: GroupMemberships): void {
    this.groups = groups;
    groups.onChange(() => this.userLimits.clear());
  }

  /** The override of a server, a user or a group, if any. */
  override(kind: OverrideKind, id: string): RatePolicy | undefined {
    return this.policies(kind).get(id);
  }

  /** Stores (or with `undefined` removes) an override; it applies from the next request. */
  setOverride(
    kind: OverrideKind,
    id: string,
    limit: { max: number; windowSeconds: number } | undefined,
  ): void {
    if (limit === undefined) {
      this.store?.remove(kind, id);
      this.policies(kind).delete(id);
    } else {
      this.store?.set({ kind, id, ...limit });
      this.remember({ kind, id, ...limit });
    }
    this.userLimits.clear();
    // A server's limiter was built with its policy: the next request builds it again (counts restart).
    if (kind === "server") this.limiters.delete(id);
  }

  private remember(override: RateOverride): void {
    const policy = { name: this.policy.name, max: override.max, windowSeconds: override.windowSeconds };
    this.policies(override.kind).set(override.id, policy);
  }

  private policies(kind: OverrideKind): Map<string, RatePolicy> {
    return kind === "server" ? this.serverPolicies : kind === "user" ? this.userPolicies : this.groupPolicies;
  }

  /** The user's own override, else their groups' most generous one; undefined: the server's limit. */
  private userLimit(userId: string): RatePolicy | undefined {
    if (this.groupPolicies.size === 0) return this.userPolicies.get(userId);
    let limit = this.userLimits.get(userId);
    if (limit === undefined) {
      limit = this.userPolicies.get(userId) ?? this.mostGenerousGroup(userId) ?? null;
      this.userLimits.set(userId, limit);
    }
    return limit ?? undefined;
  }

  private mostGenerousGroup(userId: string): RatePolicy | undefined {
    if (this.groupPolicies.size === 0) return undefined;
    let best: RatePolicy | undefined;
    for (const groupId of this.groups?.groupsOf(userId) ?? []) {
      const policy = this.groupPolicies.get(groupId);
      if (policy !== undefined && (best === undefined || moreGenerous(policy, best))) best = policy;
    }
    return best;
  }

  /**
   * The 429 for a refused request: `Retry-After` and the RateLimit headers, and a JSON-RPC error
   * carrying the request's id (its body is read only here, on the refused path).
   */
  async refusal(
    request: Request,
    serverId: string,
    userId: string,
    answer: RpcErrorAnswer,
  ): Promise<Response> {
    const policy = this.userLimit(userId) ?? this.serverPolicies.get(serverId) ?? this.policy;
    const limiter = this.limiters.get(serverId) ?? new SlidingWindowLimiter(this.clock, policy, 1);
    const decision = limiter.peek(userId, 1, policy);
    const id = request.method === "POST" ? await requestId(request, this.maxBodyBytes) : null;
    return answer(
      429,
      id,
      -32000,
      `Rate limit exceeded: at most ${policy.max} requests per ${policy.windowSeconds} s to this server; retry in ${decision.retryAfterSeconds} s`,
      rateLimitHeaders(policy, decision),
    );
  }
}

/** A higher rate (requests per second); on a tie, the larger burst. */
function moreGenerous(a: RatePolicy, b: RatePolicy): boolean {
  const rateA = a.max / a.windowSeconds;
  const rateB = b.max / b.windowSeconds;
  return rateA > rateB || (rateA === rateB && a.max > b.max);
}

async function requestId(request: Request, maxBytes: number): Promise<string | number | null> {
  const text = await readText(request, maxBytes).catch(() => undefined);
  if (!text?.ok) return null;
  return jsonRpcRequestId(text.value);
}
