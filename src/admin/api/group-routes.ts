import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { GroupRow } from "../../policy/policy-store.ts";
import {
  adminHandler,
  adminItemHandler,
  adminJsonHandler,
  type IdParams,
  noContent,
  notFound,
} from "../guard.ts";
import { adminPageHandler } from "./list-query.ts";
import { createGroupSchema, patchGroupSchema } from "./policy-schema.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/groups";

type MemberParams = { id: string; userId: string };

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
  /** The group with its members, for the admin_change event's before → after. */
  const groupSnapshot = ({ id }: { id: string }) => {
    const group = groups.byId(id);
    return group ? detail(group) : undefined;
  };

  return new Elysia({ name: "admin-api-groups" })
    .get(
      BASE,
      adminPageHandler(ctx, "groups", (q, limit, offset) => groups.page(q, limit, offset), view),
      { detail: { summary: "List groups (search, pages)" } },
    )
    .post(
      BASE,
      adminJsonHandler(ctx, createGroupSchema, (admin, body) => {
        const result = groups.create(body);
        if (!result.ok) return jsonError(result.status, "conflict", result.message);
        ctx.logger.info({ groupId: result.group.id, by: admin.id }, "group created");
        return json(detail(result.group), 201);
      }),
      { ...NO_PARSE, detail: { summary: "Create a group" } },
    )
    .get(
      `${BASE}/:id`,
      adminItemHandler(ctx, (id) => groups.byId(id), detail, "group"),
      { detail: { summary: "Read a group with its members" } },
    )
    .patch(
      `${BASE}/:id`,
      adminJsonHandler(
        ctx,
        patchGroupSchema,
        (admin, body, { id }: IdParams) => {
          const result = groups.update(id, body);
          if (!result.ok) {
            return jsonError(result.status, result.status === 404 ? "not_found" : "conflict", result.message);
          }
          ctx.logger.info({ groupId: id, by: admin.id }, "group updated");
          return json(detail(result.group));
        },
        { snapshot: groupSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Rename a group or change its description" } },
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(
        ctx,
        (admin, { id }: IdParams) => {
          if (!groups.remove(id)) return notFound("group");
          ctx.rateLimits.mcp.setOverride("group", id, undefined);
          ctx.logger.info({ groupId: id, by: admin.id }, "group deleted");
          return noContent();
        },
        { snapshot: groupSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Delete a group" } },
    )
    .put(
      `${BASE}/:id/members/:userId`,
      adminHandler(
        ctx,
        (admin, { id, userId }: MemberParams) => {
          if (!groups.byId(id)) return notFound("group");
          if (!ctx.users.principal(userId)) return notFound("user");
          policy.addMember(id, userId);
          ctx.logger.info({ groupId: id, userId, by: admin.id }, "group member added");
          return json({ group_id: id, user_id: userId });
        },
        { snapshot: groupSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Add a user to a group" } },
    )
    .delete(
      `${BASE}/:id/members/:userId`,
      adminHandler(
        ctx,
        (admin, { id, userId }: MemberParams) => {
          if (!groups.byId(id)) return notFound("group");
          if (!policy.removeMember(id, userId)) {
            return jsonError(404, "not_found", "the user is not a member of this group");
          }
          ctx.logger.info({ groupId: id, userId, by: admin.id }, "group member removed");
          return noContent();
        },
        { snapshot: groupSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Remove a user from a group" } },
    );
}
