import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import { endUserCredentials } from "../../identity/user-credentials.ts";
import { publicUser } from "../../identity/user-service.ts";
import {
  adminHandler,
  adminItemHandler,
  adminJsonHandler,
  type IdParams,
  noContent,
  notFound,
} from "../guard.ts";
import { adminPageHandler } from "./list-query.ts";
import { createUserSchema, patchUserSchema, type UserPatch } from "./user-schema.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/users";

/**
 * The JSON admin API of people: list (search, pagination), create, read, disable / enable,
 * reset password, make / unmake admin, delete. Disabling, a password reset and deletion end every
 * credential of the user at once (see endUserCredentials).
 */
export function userApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { users } = ctx;

  /**
   * An admin cannot disable, delete or demote their own account. That alone keeps one active admin
   * at all times: only an active admin can remove another, and never the last one, themselves.
   */
  const guardSelf = (adminId: string, userId: string, patch: UserPatch | "delete"): Response | undefined => {
    const removesAdmin = patch === "delete" || patch.is_active === false || patch.is_admin === false;
    if (!removesAdmin || adminId !== userId) return undefined;
    return jsonError(
      409,
      "conflict",
      "you cannot disable, delete or remove the admin role of your own account; another admin can",
    );
  };

  return new Elysia({ name: "admin-api-users" })
    .get(
      BASE,
      adminPageHandler(ctx, "users", (q, limit, offset) => users.page(q, limit, offset), publicUser),
    )
    .post(
      BASE,
      adminJsonHandler(ctx, createUserSchema, async (admin, body) => {
        const result = await users.create({
          username: body.username,
          email: body.email,
          password: body.password,
          isAdmin: body.is_admin ?? false,
        });
        if (!result.ok) {
          return result.kind === "conflict"
            ? jsonError(409, "conflict", `${result.field}: ${result.message}`)
            : jsonError(400, "invalid_request", `password: ${result.message}`);
        }
        ctx.logger.info({ userId: result.user.id, by: admin.id }, "user created");
        return json(publicUser(result.user), 201);
      }),
      NO_PARSE,
    )
    .get(
      `${BASE}/:id`,
      adminItemHandler(ctx, (id) => users.byId(id), publicUser, "user"),
    )
    .patch(
      `${BASE}/:id`,
      adminJsonHandler(ctx, patchUserSchema, async (admin, patch, { id }: IdParams) => {
        const current = users.byId(id);
        if (!current) return notFound("user");
        const refused = guardSelf(admin.id, current.id, patch);
        if (refused) return refused;
        if (patch.password !== undefined) {
          const result = await users.setPassword(current.id, patch.password);
          if (!result.ok) {
            return jsonError(400, "invalid_request", `password: ${result.message}`);
          }
        }
        const flags: { isActive?: boolean; isAdmin?: boolean } = {};
        if (patch.is_active !== undefined) flags.isActive = patch.is_active;
        if (patch.is_admin !== undefined) flags.isAdmin = patch.is_admin;
        const updated = users.update(current.id, flags) ?? current;
        const disabled = patch.is_active === false && current.isActive;
        if (disabled || patch.password !== undefined) endUserCredentials(ctx, current.id);
        ctx.logger.info(
          {
            userId: current.id,
            by: admin.id,
            changed: Object.keys(patch).map((key) => (key === "password" ? "password (reset)" : key)),
          },
          "user updated",
        );
        return json(publicUser(updated));
      }),
      NO_PARSE,
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(ctx, (admin, { id }: IdParams) => {
        if (!users.byId(id)) return notFound("user");
        const refused = guardSelf(admin.id, id, "delete");
        if (refused) return refused;
        endUserCredentials(ctx, id);
        users.remove(id);
        gateway.policy.forgetUser(id);
        ctx.logger.info({ userId: id, by: admin.id }, "user deleted");
        return noContent();
      }),
      NO_PARSE,
    );
}
