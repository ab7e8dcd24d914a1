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
import { changeUser, selfChangeRefusal } from "../user-changes.ts";
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

  /** The self-change rule of changeUser, as the API's 409. */
  const guardSelf = (adminId: string, userId: string, patch: UserPatch | "delete"): Response | undefined => {
    const refused = selfChangeRefusal(adminId, userId, patch);
    return refused && jsonError(refused.status, refused.error, refused.message);
  };

  /** The user as the API shows it, for the admin_change event's before → after. */
  const userSnapshot = ({ id }: IdParams) => {
    const user = users.byId(id);
    return user ? publicUser(user) : undefined;
  };

  return new Elysia({ name: "admin-api-users" })
    .get(
      BASE,
      adminPageHandler(ctx, "users", (q, limit, offset) => users.page(q, limit, offset), publicUser),
      { detail: { summary: "List users (search, pages)" } },
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
      { ...NO_PARSE, detail: { summary: "Create a user" } },
    )
    .get(
      `${BASE}/:id`,
      adminItemHandler(ctx, (id) => users.byId(id), publicUser, "user"),
      { detail: { summary: "Read a user" } },
    )
    .patch(
      `${BASE}/:id`,
      adminJsonHandler(
        ctx,
        patchUserSchema,
        async (admin, patch, { id }: IdParams) => {
          const result = await changeUser(ctx, admin, id, patch);
          if (!result.ok) return jsonError(result.status, result.error, result.message);
          return json(publicUser(result.user));
        },
        { snapshot: userSnapshot },
      ),
      {
        ...NO_PARSE,
        detail: {
          summary:
            "Change a user: disable or enable, reset the password, make or unmake admin (disabling and a reset end every credential)",
        },
      },
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(
        ctx,
        (admin, { id }: IdParams) => {
          if (!users.byId(id)) return notFound("user");
          const refused = guardSelf(admin.id, id, "delete");
          if (refused) return refused;
          endUserCredentials(ctx, id);
          users.remove(id);
          gateway.policy.forgetUser(id);
          ctx.logger.info({ userId: id, by: admin.id }, "user deleted");
          return noContent();
        },
        { snapshot: userSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Delete a user, ending every credential of theirs" } },
    );
}
