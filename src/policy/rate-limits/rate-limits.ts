import type { Clock } from "../../clock.ts";
import type { Config } from "../../config/load.ts";
import { liveRatePolicy } from "../../config/runtime/live-views.ts";
import type { Db } from "../../db/connection.ts";
import type { IpNetwork } from "../../gateway/ip-networks.ts";
import { clientIp, trustedProxyNetworks } from "../../http/client-ip.ts";
import { rateLimitHeaders } from "./headers.ts";
import { type RateDecision, type RatePolicy, SlidingWindowLimiter } from "./limiter.ts";
import { LoginLockout } from "./lockout.ts";
import { McpRateLimits } from "./mcp.ts";
import { RateOverrideStore } from "./override-store.ts";

/** The per-IP limits, one per kind of endpoint. */
export type IpLimitName = "login" | "register" | "token" | "client_registration" | "authorize";

type PeerLookup = Parameters<typeof clientIp>[1];

/** A refused request: what the endpoint puts in its own kind of 429 answer. */
export interface RateRefusal {
  decision: RateDecision;
  /** `Retry-After`, `RateLimit-Policy`, `RateLimit`. */
  headers: Record<string, string>;
}

/** Every rate limit and the sign-in lockout, built once from the settings (AppContext.rateLimits). */
export class RateLimits {
  readonly trustedProxies: IpNetwork[];
  readonly lockout: LoginLockout;
  /** MCP limits and their overrides (kept by the admin API even while limits are off). */
  readonly mcp: McpRateLimits;
  /** `mcp` for the proxy; undefined when RATE_LIMIT_ENABLED=false. */
  readonly mcpEnforced: McpRateLimits | undefined;
  private readonly byIp: Map<IpLimitName, SlidingWindowLimiter> | undefined;
  /** The listening server, for handlers not given it (the MCP endpoints); set by `serveHandlers`. */
  private listening: () => PeerLookup = () => undefined;

  constructor(config: Config, clock: Clock, db: Db) {
    this.trustedProxies = trustedProxyNetworks(config.trustedProxies);
    this.lockout = new LoginLockout(clock, {
      threshold: config.loginLockoutThreshold,
      lockSeconds: config.loginLockoutSeconds,
      maxLockSeconds: config.loginLockoutMaxSeconds,
      maxKeys: config.rateLimitMaxKeys,
    });
    // Built even when limits are off, so the admin API can keep overrides for when they are on.
    this.mcp = new McpRateLimits(
      clock,
      liveRatePolicy(
        "mcp",
        () => config.rateLimitMcpMax,
        () => config.rateLimitMcpWindow,
      ),
      config.rateLimitMaxKeys,
      config.maxBodyBytes,
      new RateOverrideStore(db, () => clock.now()),
    );
    this.mcpEnforced = config.rateLimitEnabled ? this.mcp : undefined;
    if (!config.rateLimitEnabled) {
      this.byIp = undefined;
      return;
    }
    // Live views of the settings: an admin's change (src/config/runtime) applies from the next request.
    const policies: RatePolicy[] = [
      liveRatePolicy(
        "login",
        () => config.rateLimitLoginMax,
        () => config.rateLimitLoginWindow,
      ),
      liveRatePolicy(
        "register",
        () => config.rateLimitRegisterMax,
        () => config.rateLimitRegisterWindow,
      ),
      liveRatePolicy(
        "token",
        () => config.rateLimitTokenMax,
        () => config.rateLimitTokenWindow,
      ),
      liveRatePolicy(
        "client_registration",
        () => config.rateLimitClientRegistrationMax,
        () => config.rateLimitClientRegistrationWindow,
      ),
      liveRatePolicy(
        "authorize",
        () => config.rateLimitAuthorizeMax,
        () => config.rateLimitAuthorizeWindow,
      ),
    ];
    this.byIp = new Map(
      policies.map((p) => [
        p.name as IpLimitName,
        new SlidingWindowLimiter(clock, p, config.rateLimitMaxKeys),
      ]),
    );
  }

  /** The client's address (the socket peer, or what a trusted proxy says). */
  clientIp(request: Request, server: PeerLookup): string {
    return clientIp(request, server, this.trustedProxies);
  }

  /** Where the client address of `requestIp` comes from: the server the app listens on. */
  listenOn(server: () => PeerLookup): void {
    this.listening = server;
  }

  /** `clientIp` from the listening server ("unknown" when requests are handled in-process). */
  requestIp(request: Request): string {
    return clientIp(request, this.listening(), this.trustedProxies);
  }

  /** Counts one request of this client IP against `name`; the refusal when it is over the limit. */
  checkIp(name: IpLimitName, request: Request, server: PeerLookup): RateRefusal | undefined {
    const limiter = this.byIp?.get(name);
    if (limiter === undefined) return undefined;
    const decision = limiter.hit(this.clientIp(request, server));
    if (decision.allowed) return undefined;
    return { decision, headers: rateLimitHeaders(limiter.policy, decision) };
  }
}
