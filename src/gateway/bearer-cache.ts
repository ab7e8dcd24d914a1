import type { SecurityEventSink } from "../audit/security-events/types.ts";
import type { Clock } from "../clock.ts";
import type { UserService } from "../identity/user-service.ts";
import type { BearerAccepted, BearerAuthenticator, BearerResult } from "../oauth/bearer.ts";
import type { RevocationList } from "../oauth/revocation.ts";
import { PERSONAL_TOKEN_PREFIX } from "../portal/personal-tokens.ts";

/**
 * Personal access tokens are never kept here: their check is a memory lookup by hash already (no
 * signature to save), and their revocation, which only their store knows, must count at once.
 * (A JWT containing the prefix by chance is merely not cached.)
 */
const isPersonal = (authorization: string) => authorization.includes(PERSONAL_TOKEN_PREFIX);

/** Longer Authorization values are never cached (nor valid: the bearer check refuses them too). */
const MAX_AUTHORIZATION_LENGTH = 8200;

interface Verified {
  /** The audiences the full check accepted it for (usually one: tokens are bound to a resource). */
  audiences: string[];
  /**
   * The answer given for it: claims and token are the same whichever audience it was checked for;
   * rebuilt only when the user's principal changes (a hit allocates nothing).
   */
  answer: BearerAccepted;
}

/**
 * The bearer check of the proxy's hot path: the full check (signature, iss, aud, exp, jti, user)
 * on first sight of a token for an audience, then a memory hit that re-checks only what can change
 * (expiry, revocation of the jti or of the client for this user, the user still active). Saves one
 * signature verification per request; a revocation takes effect on the next request.
 * Keyed by the Authorization value itself (no per-request key building). Bounded: the oldest
 * tokens are dropped first.
 */
export class CachedBearer {
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly bearer: BearerAuthenticator,
    private readonly revocations: RevocationList,
    private readonly users: UserService,
    private readonly clock: Clock,
    private readonly max: number,
    /** Where a refused token is recorded (`invalid_token`), with the client address of the request. */
    private readonly events?: { sink: SecurityEventSink; clientIp: (request: Request) => string },
  ) {}

  /**
   * The answer for a token already verified for this audience and still good, without a promise
   * (the hot path); undefined when the full check has to run.
   */
  cached(authorization: string | null, audience: string): BearerAccepted | undefined {
    if (authorization === null || isPersonal(authorization)) return undefined;
    const hit = this.verified.get(authorization);
    if (hit === undefined || !hit.audiences.includes(audience)) return undefined;
    const { claims } = hit.answer;
    const principal = this.users.principal(claims.sub);
    if (claims.exp * 1000 > this.clock.now() && !this.revocations.isRevoked(claims) && principal?.isActive) {
      if (hit.answer.principal !== principal) hit.answer = { ...hit.answer, principal };
      return hit.answer;
    }
    this.verified.delete(authorization);
    return undefined;
  }

  async authenticate(
    authorization: string | null,
    audience: string,
    request?: Request,
  ): Promise<BearerResult> {
    const hit = this.cached(authorization, audience);
    if (hit) return hit;
    const result = await this.bearer.authenticate(authorization, audience);
    // A presented token that fails (bad, expired, revoked, another audience); no token at all is
    // the normal first step of discovery, not an event. Floods fold in the log's repeat filter.
    if (!result.ok && authorization && this.events !== undefined) {
      const ip = request === undefined ? null : this.events.clientIp(request);
      this.events.sink.record({
        type: "invalid_token",
        ip: ip === "unknown" ? null : ip,
        userAgent: request?.headers.get("user-agent")?.slice(0, 512) ?? null,
        details: { error: result.error ?? "invalid_token", reason: result.description, resource: audience },
      });
    }
    if (
      result.ok &&
      authorization !== null &&
      authorization.length <= MAX_AUTHORIZATION_LENGTH &&
      !isPersonal(authorization)
    ) {
      const known = this.verified.get(authorization);
      if (known !== undefined) {
        if (!known.audiences.includes(audience)) known.audiences.push(audience);
      } else {
        if (this.verified.size >= this.max) {
          const oldest = this.verified.keys().next().value;
          if (oldest !== undefined) this.verified.delete(oldest);
        }
        this.verified.set(authorization, { audiences: [audience], answer: result });
      }
    }
    return result;
  }
}
