import { Elysia } from "elysia";
import { z } from "zod";
import { withSchemas } from "../admin/api/openapi-schemas.ts";
import { adminHandler, requireAdmin } from "../admin/guard.ts";
import type { AppContext } from "../context.ts";
import { readJson } from "../http/body.ts";
import { json, jsonError } from "../http/errors.ts";
import type { OAuthClient } from "./client-store.ts";
import type { OAuthServer } from "./server.ts";
import { revokeClientTokens } from "./token-issuer.ts";

const BASE = "/admin/api/oauth-clients";

/**
 * The RFC 7591 metadata a pre-registration takes, for the OpenAPI document only: the body is
 * checked by `clients.register`, as on /oauth/register, so its errors keep that endpoint's codes.
 */
const clientMetadataDoc = z.looseObject({
  client_name: z.string().optional(),
  redirect_uris: z.array(z.string()).max(20).optional(),
  grant_types: z
    .array(z.enum(["authorization_code", "refresh_token"]))
    .max(5)
    .optional(),
  response_types: z.array(z.literal("code")).max(5).optional(),
  token_endpoint_auth_method: z.enum(["none", "client_secret_basic", "client_secret_post"]).optional(),
  scope: z.string().optional(),
});

/** The JSON view of a client: never its secret hash. */
function view(client: OAuthClient) {
  return {
    client_id: client.clientId,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    scope: client.scope,
    source: client.source,
    status: client.status,
    created_at: client.createdAt,
  };
}

/** Admin JSON API of OAuth clients: list, pre-register, delete, approve (approval mode). */
export function oauthAdminApi(ctx: AppContext, oauth: OAuthServer) {
  /** The client as the API shows it, for the admin_change event's before → after. */
  const clientSnapshot = ({ id }: { id: string }) => {
    const client = oauth.clientStore.find(id);
    return client ? view(client) : undefined;
  };
  return new Elysia({ name: "oauth-admin-api" })
    .get(
      BASE,
      async ({ request }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        return json({ clients: oauth.clientStore.list().map(view) });
      },
      { detail: { summary: "List OAuth clients" } },
    )
    .post(
      BASE,
      withSchemas(
        adminHandler(ctx, async (admin, _params, request) => {
          const body = await readJson(request, z.unknown(), ctx.config.maxBodyBytes);
          if (!body.ok) return body.response;
          const result = oauth.clients.register(body.value, "admin", "active");
          if (!result.ok) return jsonError(400, result.error, result.description);
          ctx.logger.info(
            { client_id: result.client.clientId, admin: admin.id },
            "oauth client pre-registered",
          );
          return json(
            { ...view(result.client), ...(result.secret ? { client_secret: result.secret } : {}) },
            201,
          );
        }),
        { body: clientMetadataDoc },
      ),
      {
        parse: "none",
        detail: { summary: "Pre-register an OAuth client (RFC 7591 metadata); a secret is shown only here" },
      },
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(
        ctx,
        (admin, params: { id: string }) => {
          if (!oauth.clientStore.delete(params.id)) return jsonError(404, "not_found", "no such client");
          // Its refresh tokens and its (stateless) access tokens end with it, for every user.
          revokeClientTokens(ctx, params.id);
          ctx.logger.info(
            { client_id: params.id, admin: admin.id },
            "oauth client deleted; its tokens revoked",
          );
          return new Response(null, { status: 204 });
        },
        { snapshot: clientSnapshot },
      ),
      { parse: "none", detail: { summary: "Delete an OAuth client, revoking its tokens" } },
    )
    .post(
      `${BASE}/:id/approve`,
      adminHandler(
        ctx,
        (_admin, params: { id: string }) => {
          if (!oauth.clientStore.approve(params.id)) return jsonError(404, "not_found", "no such client");
          const client = oauth.clientStore.find(params.id);
          return json(client ? view(client) : {});
        },
        { snapshot: clientSnapshot },
      ),
      { parse: "none", detail: { summary: "Approve a client whose registration is held for approval" } },
    );
}
