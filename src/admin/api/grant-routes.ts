import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { readJson } from "../../http/body.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { Grant } from "../../policy/access-policy.ts";
import { requireAdmin } from "../guard.ts";
import { createGrantSchema } from "./policy-schema.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/mcp-servers/:id/grants";

export const grantView = (grant: Grant) => ({
  id: grant.id,
  server_id: grant.serverId,
  principal_type: grant.principalType,
  principal_id: grant.principalId,
  allowed_tools: grant.allowedTools,
  denied_tools: grant.deniedTools,
  created_at: new Date(grant.createdAt).toISOString(),
});

/** The JSON admin API of a server's grants to users and groups; a change applies to the next request. */
export function grantApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { registry, groups, policy } = gateway;

  return new Elysia({ name: "admin-api-grants" })
    .get(BASE, async ({ request, params }) => {
      const admin = await requireAdmin(ctx, request);
      if (admin instanceof Response) return admin;
      if (!registry.byId(params.id)) return jsonError(404, "not_found", "no such server");
      return json({ grants: policy.grantsOf(params.id).map(grantView) });
    })
    .post(
      BASE,
      async ({ request, params }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        if (!registry.byId(params.id)) return jsonError(404, "not_found", "no such server");
        const body = await readJson(request, createGrantSchema, ctx.config.maxBodyBytes);
        if (!body.ok) return body.response;
        const { user_id, group_id, allowed_tools, denied_tools } = body.value;
        const principalType = user_id !== undefined ? "user" : "group";
        const principalId = (user_id ?? group_id) as string;
        if (principalType === "user" && !ctx.users.principal(principalId)) {
          return jsonError(404, "not_found", "user_id: no such user");
        }
        if (principalType === "group" && !groups.byId(principalId)) {
          return jsonError(404, "not_found", "group_id: no such group");
        }
        const existing = policy.grantFor(params.id, principalType, principalId);
        if (existing) {
          return jsonError(
            409,
            "conflict",
            `this ${principalType} already has grant ${existing.id} on this server; delete it first`,
          );
        }
        const grant = policy.addGrant({
          serverId: params.id,
          principalType,
          principalId,
          allowedTools: allowed_tools ?? null,
          deniedTools: denied_tools ?? [],
        });
        ctx.logger.info({ serverId: params.id, grantId: grant.id, by: admin.id }, "server granted");
        return json(grantView(grant), 201);
      },
      NO_PARSE,
    )
    .delete(
      `${BASE}/:grantId`,
      async ({ request, params }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        const grant = policy.grant(params.grantId);
        if (!grant || grant.serverId !== params.id) return jsonError(404, "not_found", "no such grant");
        policy.removeGrant(grant.id);
        ctx.logger.info({ serverId: params.id, grantId: grant.id, by: admin.id }, "server grant revoked");
        return new Response(null, { status: 204 });
      },
      NO_PARSE,
    );
}
