import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { Grant } from "../../policy/access-policy.ts";
import { adminHandler, adminJsonHandler, type IdParams, noContent, notFound } from "../guard.ts";
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

  /** 404 "no such server" unless the grants' server exists. */
  const serverMissing = ({ id }: IdParams) => (registry.byId(id) ? undefined : notFound("server"));

  return new Elysia({ name: "admin-api-grants" })
    .get(
      BASE,
      adminHandler(
        ctx,
        (_admin, params: IdParams) =>
          serverMissing(params) ?? json({ grants: policy.grantsOf(params.id).map(grantView) }),
      ),
    )
    .post(
      BASE,
      adminJsonHandler(
        ctx,
        createGrantSchema,
        (admin, body, { id }: IdParams) => {
          const { user_id, group_id, allowed_tools, denied_tools } = body;
          const principalType = user_id !== undefined ? "user" : "group";
          const principalId = (user_id ?? group_id) as string;
          if (principalType === "user" && !ctx.users.principal(principalId)) {
            return jsonError(404, "not_found", "user_id: no such user");
          }
          if (principalType === "group" && !groups.byId(principalId)) {
            return jsonError(404, "not_found", "group_id: no such group");
          }
          const existing = policy.grantFor(id, principalType, principalId);
          if (existing) {
            return jsonError(
              409,
              "conflict",
              `this ${principalType} already has grant ${existing.id} on this server; delete it first`,
            );
          }
          const grant = policy.addGrant({
            serverId: id,
            principalType,
            principalId,
            allowedTools: allowed_tools ?? null,
            deniedTools: denied_tools ?? [],
          });
          ctx.logger.info({ serverId: id, grantId: grant.id, by: admin.id }, "server granted");
          return json(grantView(grant), 201);
        },
        { before: serverMissing },
      ),
      NO_PARSE,
    )
    .delete(
      `${BASE}/:grantId`,
      adminHandler(ctx, (admin, { id, grantId }: { id: string; grantId: string }) => {
        const grant = policy.grant(grantId);
        if (!grant || grant.serverId !== id) return notFound("grant");
        policy.removeGrant(grant.id);
        ctx.logger.info({ serverId: id, grantId: grant.id, by: admin.id }, "server grant revoked");
        return noContent();
      }),
      NO_PARSE,
    );
}
