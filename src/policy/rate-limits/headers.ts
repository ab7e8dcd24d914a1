import type { RateDecision, RatePolicy } from "./limiter.ts";

/**
 * The headers of a refused request: `Retry-After` (RFC 9110 §10.2.3) and the IETF draft's
 * `RateLimit-Policy` / `RateLimit` fields, as in draft-ietf-httpapi-ratelimit-headers-10 (the
 * structured-field syntax used since -08: a policy item named by a string with `q` (quota) and
 * `w` (window, seconds); the current limit with `r` (remaining) and `t` (seconds until reset)).
 */
export function rateLimitHeaders(policy: RatePolicy, decision: RateDecision): Record<string, string> {
  return {
    "Retry-After": String(decision.retryAfterSeconds),
    "RateLimit-Policy": `"${policy.name}";q=${decision.limit};w=${policy.windowSeconds}`,
    RateLimit: `"${policy.name}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}
