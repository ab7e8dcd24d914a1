import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { Grant } from "../../policy/access-policy.ts";
import { addServerGrant, removeServerGrant } from "../grant-input.ts";
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
  const { registry, policy } = gateway;

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
      { detail: { summary: "List a server's grants to users and groups" } },
    )
    .post(
      BASE,
      adminJsonHandler(
        ctx,
        createGrantSchema,
        (admin, body, { id }: IdParams) => {
          const added = addServerGrant(ctx, gateway, id, body);
          if (!added.ok) {
            const message = added.field ? `${added.field}: ${added.message}` : added.message;
            return jsonError(added.status, added.status === 404 ? "not_found" : "conflict", message);
          }
          const { grant } = added;
          ctx.logger.info({ serverId: id, grantId: grant.id, by: admin.id }, "server granted");
          return json(grantView(grant), 201);
        },
        { before: serverMissing },
      ),
      {
        ...NO_PARSE,
        detail: { summary: "Grant a server to a user or a group, with allowed or denied tools" },
      },
    )
    .delete(
      `${BASE}/:grantId`,
      adminHandler(ctx, (admin, { id, grantId }: { id: string; grantId: string }) => {
        const grant = removeServerGrant(gateway, id, grantId);
        if (!grant) return notFound("grant");
        ctx.logger.info({ serverId: id, grantId: grant.id, by: admin.id }, "server grant revoked");
        return noContent();
      }),
      { ...NO_PARSE, detail: { summary: "Revoke a grant" } },
    );
}
