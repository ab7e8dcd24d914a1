import type { z } from "zod";
import { recordAdminChange } from "../audit/security-events/admin-change.ts";
import type { AppContext } from "../context.ts";
import { readJson } from "../http/body.ts";
import type { clientIp } from "../http/client-ip.ts";
import { json, jsonError } from "../http/errors.ts";
import { browserIdentity, sameOriginRequest } from "../identity/browser-auth.ts";
import type { Principal } from "../identity/user-service.ts";
import { wwwAuthenticate } from "../oauth/bearer.ts";
import { withSchemas } from "./api/openapi-schemas.ts";

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

/** The request and path parameters an admin API handler reads. */
export interface AdminCall<Params> {
  request: Request;
  params: Params;
  /** The server, for the client IP of the `admin_change` security event. */
  server?: Parameters<typeof clientIp>[1];
}

/**
 * How a route shows the item it changes, for the `admin_change` security event's before → after
 * (secrets are masked there). Without it the event still names the call, the body and the answer.
 */
export interface AdminAudit<Params> {
  snapshot?: (params: Params) => unknown;
}

/** The path parameters of an admin API's `…/:id` route. */
export type IdParams = { id: string };

type Reply = Response | Promise<Response>;

/** 404 "no such {noun}". */
export const notFound = (noun: string) => jsonError(404, "not_found", `no such ${noun}`);

/** The response of a done DELETE: 204, no body. */
export const noContent = () => new Response(null, { status: 204 });

/** An admin API handler: `requireAdmin`, then `handle` with the admin, the path parameters and the request. */
export function adminHandler<Params = Record<string, string>>(
  ctx: AppContext,
  handle: (admin: Principal, params: Params, request: Request) => Reply,
  audit: AdminAudit<Params> = {},
) {
  return async ({ request, params, server }: AdminCall<Params>): Promise<Response> => {
    const admin = await requireAdmin(ctx, request);
    if (admin instanceof Response) return admin;
    // Every state-changing call that succeeds is recorded here, once for all admin API routes.
    if (request.method === "GET" || request.method === "HEAD") return handle(admin, params, request);
    const before = audit.snapshot?.(params);
    const response = await handle(admin, params, request);
    const after = response.status < 400 ? audit.snapshot?.(params) : undefined;
    await recordAdminChange(ctx, { admin, request, server, params, before, after }, response);
    return response;
  };
}

/**
 * An admin API handler with a JSON body: `requireAdmin`; then `options.before` (when given), whose
 * response (say a 404) is returned before the body is read; then the body read with `schema`; then
 * `handle`.
 */
export function adminJsonHandler<S extends z.ZodType, Params = Record<string, string>>(
  ctx: AppContext,
  schema: S,
  handle: (admin: Principal, body: z.output<S>, params: Params) => Reply,
  options: { before?: (params: Params) => Response | undefined } & AdminAudit<Params> = {},
) {
  const handler = async ({ request, params, server }: AdminCall<Params>): Promise<Response> => {
    const admin = await requireAdmin(ctx, request);
    if (admin instanceof Response) return admin;
    const refused = options.before?.(params);
    if (refused) return refused;
    const body = await readJson(request, schema, ctx.config.maxBodyBytes);
    if (!body.ok) return body.response;
    const before = options.snapshot?.(params);
    const response = await handle(admin, body.value, params);
    const after = response.status < 400 ? options.snapshot?.(params) : undefined;
    await recordAdminChange(
      ctx,
      { admin, request, server, params, body: body.value, before, after },
      response,
    );
    return response;
  };
  return withSchemas(handler, { body: schema });
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
  return adminHandler(ctx, (_admin, { id }: IdParams) => {
    const item = find(id);
    return item ? json(render(item)) : notFound(noun);
  });
}
