import type { AppContext } from "../../context.ts";
import type { clientIp } from "../../http/client-ip.ts";
import type { IpLimitName, RateRefusal } from "../../policy/rate-limits/rate-limits.ts";
import { requestMeta } from "./request-meta.ts";

/**
 * `ctx.rateLimits.checkIp` that records a `rate_limited` event when it refuses. The details carry
 * the limit and the path only (not the wait), so a client hammering one endpoint repeats one
 * identical event and the repeat filter folds the flood.
 */
export function checkIpRecorded(
  ctx: AppContext,
  name: IpLimitName,
  request: Request,
  server: Parameters<typeof clientIp>[1],
): RateRefusal | undefined {
  const refused = ctx.rateLimits.checkIp(name, request, server);
  if (refused !== undefined) {
    ctx.securityEvents.record({
      type: "rate_limited",
      ...requestMeta(ctx, request, server),
      details: { limit: name, path: new URL(request.url).pathname },
    });
  }
  return refused;
}
