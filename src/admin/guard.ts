import type { AppContext } from "../context.ts";
import { jsonError } from "../http/errors.ts";
import { browserIdentity, sameOriginRequest } from "../identity/browser-auth.ts";
import type { Principal } from "../identity/user-service.ts";
import { wwwAuthenticate } from "../oauth/bearer.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Authorises a JSON admin API request: an admin's bearer token (audience = the gateway itself),
 * or an admin's browser session; a session's state-changing request also needs the CSRF token in
 * `X-CSRF-Token` and a same-origin Origin. Returns the admin or the error response.
 */
export async function requireAdmin(ctx: AppContext, request: Request): Promise<Principal | Response> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const result = await ctx.bearer.authenticate(authorization, ctx.config.publicUrl);
    if (!result.ok) {
      return jsonError(401, result.error ?? "invalid_token", result.description, {
        "WWW-Authenticate": wwwAuthenticate({ error: result.error ?? "invalid_token" }),
      });
    }
    if (!result.principal.isAdmin) return jsonError(403, "forbidden", "administrator rights are required");
    return result.principal;
  }
  const identity = browserIdentity(ctx, request);
  if (!identity) {
    return jsonError(401, "invalid_token", "a bearer token or an admin session is required", {
      "WWW-Authenticate": wwwAuthenticate({}),
    });
  }
  if (!identity.principal.isAdmin) return jsonError(403, "forbidden", "administrator rights are required");
  if (!SAFE_METHODS.has(request.method)) {
    const csrf = request.headers.get("x-csrf-token");
    if (
      !sameOriginRequest(request, ctx.config.publicUrl) ||
      !ctx.browserSessions.checkCsrf(identity.session, csrf)
    ) {
      return jsonError(403, "csrf_failed", "missing or invalid CSRF token");
    }
  }
  return identity.principal;
}
