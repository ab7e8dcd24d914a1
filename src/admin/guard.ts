import type { z } from "zod";
import type { AppContext } from "../context.ts";
import { readJson } from "../http/body.ts";
import { json, jsonError } from "../http/errors.ts";
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

/** An admin's request and its JSON body, read with `schema` once the admin is authorised. */
export interface AdminJsonRequest<Body> {
  admin: Principal;
  body: Body;
}

/**
 * `requireAdmin`, then the JSON body read and validated with `schema` (`readJson`): the admin and
 * the body, or the first error response.
 */
export async function requireAdminJson<S extends z.ZodType>(
  ctx: AppContext,
  request: Request,
  schema: S,
): Promise<AdminJsonRequest<z.output<S>> | Response> {
  const admin = await requireAdmin(ctx, request);
  if (admin instanceof Response) return admin;
  const body = await readJson(request, schema, ctx.config.maxBodyBytes);
  if (!body.ok) return body.response;
  return { admin, body: body.value };
}

/**
 * The handler of an admin API's `GET …/:id`: the item `find` returns, as `render` shows it, or 404
 * "no such {noun}".
 */
export function adminItemHandler<Item>(
  ctx: AppContext,
  find: (id: string) => Item | undefined,
  render: (item: Item) => unknown,
  noun: string,
) {
  return async ({ request, params }: { request: Request; params: { id: string } }): Promise<Response> => {
    const admin = await requireAdmin(ctx, request);
    if (admin instanceof Response) return admin;
    const item = find(params.id);
    return item ? json(render(item)) : jsonError(404, "not_found", `no such ${noun}`);
  };
}
