import type { Clock } from "../clock.ts";
import type { UserService } from "../identity/user-service.ts";
import type { AccessTokenClaims } from "../oauth/access-tokens.ts";
import type { BearerAuthenticator, BearerResult } from "../oauth/bearer.ts";
import type { RevocationList } from "../oauth/revocation.ts";

/**
 * The bearer check of the proxy's hot path: the full check (signature, iss, aud, exp, jti, user)
 * on first sight of a token for an audience, then a memory hit that re-checks only what can change
 * (expiry, revocation, the user still active). Saves one signature verification per request.
 * Bounded: the oldest entries are dropped first.
 */
/** Longer Authorization values are never cached (nor valid: the bearer check refuses them too). */
const MAX_AUTHORIZATION_LENGTH = 8200;

export class CachedBearer {
  private readonly verified = new Map<string, AccessTokenClaims>();

  constructor(
    private readonly bearer: BearerAuthenticator,
    private readonly revocations: RevocationList,
    private readonly users: UserService,
    private readonly clock: Clock,
    private readonly max: number,
  ) {}

  /**
   * The answer for a token already verified for this audience and still good, without a promise
   * (the hot path); undefined when the full check has to run.
   */
  cached(authorization: string | null, audience: string): BearerResult | undefined {
    if (authorization === null || authorization.length > MAX_AUTHORIZATION_LENGTH) return undefined;
    const key = `${audience} ${authorization}`;
    const claims = this.verified.get(key);
    if (!claims) return undefined;
    const principal = this.users.principal(claims.sub);
    if (
      claims.exp * 1000 > this.clock.now() &&
      !this.revocations.isRevoked(claims.jti) &&
      principal?.isActive
    ) {
      return { ok: true, principal, claims, token: authorization.slice(7).trim() };
    }
    this.verified.delete(key);
    return undefined;
  }

  async authenticate(authorization: string | null, audience: string): Promise<BearerResult> {
    const hit = this.cached(authorization, audience);
    if (hit) return hit;
    if (authorization !== null && authorization.length <= MAX_AUTHORIZATION_LENGTH) {
      const key = `${audience} ${authorization}`;
      const result = await this.bearer.authenticate(authorization, audience);
      if (result.ok) {
        if (this.verified.size >= this.max) {
          const oldest = this.verified.keys().next().value;
          if (oldest !== undefined) this.verified.delete(oldest);
        }
        this.verified.set(key, result.claims);
      }
      return result;
    }
    return this.bearer.authenticate(authorization, audience);
  }
}
