import type { AppContext } from "../../context.ts";
import type { clientIp } from "../../http/client-ip.ts";

/** The request facts every event of a request carries. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** Longer User-Agent values are cut: a client chooses them, the log must stay bounded. */
const USER_AGENT_MAX = 512;

export const NO_REQUEST_META: RequestMeta = { ip: null, userAgent: null };

/**
 * The client IP (socket peer, or a trusted proxy's word: see client-ip.ts) and User-Agent. Without
 * `server` the address comes from the server the app listens on.
 */
export function requestMeta(
  ctx: AppContext,
  request: Request,
  server?: Parameters<typeof clientIp>[1],
): RequestMeta {
  const ip = server ? ctx.rateLimits.clientIp(request, server) : ctx.rateLimits.requestIp(request);
  return {
    ip: ip === "unknown" ? null : ip,
    userAgent: request.headers.get("user-agent")?.slice(0, USER_AGENT_MAX) ?? null,
  };
}
