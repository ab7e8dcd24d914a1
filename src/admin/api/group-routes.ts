import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { GroupRow } from "../../policy/policy-store.ts";
import { adminItemHandler, requireAdmin, requireAdminJson } from "../guard.ts";
import { readListQuery } from "./list-query.ts";
import { createGroupSchema, patchGroupSchema } from "./policy-schema.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/groups";

const view = (group: GroupRow) => ({
  id: group.id,
  name: group.name,
  description: group.description,
  created_at: new Date(group.createdAt).toISOString(),
  updated_at: new Date(group.updatedAt).toISOString(),
});

/** The JSON admin API of groups and their members; a membership change applies to the next request. */
export function groupApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { groups, policy } = gateway;

  const detail = (group: GroupRow) => ({ ...view(group), members: groups.members(group.id) });

  return new Elysia({ name: "admin-api-groups" })
    .get(BASE, async ({ request }) => {
      const admin = await requireAdmin(ctx, request);
      if (admin instanceof Response) return admin;
      const query = readListQuery(request);
      if (!query.ok) return query.response;
      const { q, limit, offset } = query.value;
      const page = groups.page(q, limit, offset);
      return json({ groups: page.rows.map(view), total: page.total, limit, offset });
    })
    .post(
      BASE,
      async ({ request }) => {
        const authorised = await requireAdminJson(ctx, request, createGroupSchema);
        if (authorised instanceof Response) return authorised;
        const { admin, body } = authorised;
        const result = groups.create(body);
        if (!result.ok) return jsonError(result.status, "conflict", result.message);
        ctx.logger.info({ groupId: result.group.id, by: admin.id }, "group created");
        return json(detail(result.group), 201);
      },
      NO_PARSE,
    )
    .get(
      `${BASE}/:id`,
      adminItemHandler(ctx, (id) => groups.byId(id), detail, "group"),
    )
    .patch(
      `${BASE}/:id`,
      async ({ request, params }) => {
        const authorised = await requireAdminJson(ctx, request, patchGroupSchema);
        if (authorised instanceof Response) return authorised;
        const { admin, body } = authorised;
        const result = groups.update(params.id, body);
        if (!result.ok) {
          return jsonError(result.status, result.status === 404 ? "not_found" : "conflict", result.message);
        }
        ctx.logger.info({ groupId: params.id, by: admin.id }, "group updated");
        return json(detail(result.group));
      },
      NO_PARSE,
    )
    .delete(
      `${BASE}/:id`,
      async ({ request, params }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        if (!groups.remove(params.id)) return jsonError(404, "not_found", "no such group");
        ctx.logger.info({ groupId: params.id, by: admin.id }, "group deleted");
        return new Response(null, { status: 204 });
      },
      NO_PARSE,
    )
    .put(
      `${BASE}/:id/members/:userId`,
      async ({ request, params }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        if (!groups.byId(params.id)) return jsonError(404, "not_found", "no such group");
        if (!ctx.users.principal(params.userId)) return jsonError(404, "not_found", "no such user");
        policy.addMember(params.id, params.userId);
        ctx.logger.info({ groupId: params.id, userId: params.userId, by: admin.id }, "group member added");
        return json({ group_id: params.id, user_id: params.userId });
      },
      NO_PARSE,
    )
    .delete(
      `${BASE}/:id/members/:userId`,
      async ({ request, params }) => {
        const admin = await requireAdmin(ctx, request);
        if (admin instanceof Response) return admin;
        if (!groups.byId(params.id)) return jsonError(404, "not_found", "no such group");
        if (!policy.removeMember(params.id, params.userId)) {
          return jsonError(404, "not_found", "the user is not a member of this group");
        }
        ctx.logger.info({ groupId: params.id, userId: params.userId, by: admin.id }, "group member removed");
        return new Response(null, { status: 204 });
      },
      NO_PARSE,
    );
}
