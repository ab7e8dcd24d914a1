import type { AppContext } from "../context.ts";
import { endUserCredentials } from "../identity/user-credentials.ts";
import type { Principal } from "../identity/user-service.ts";
import type { UserRow } from "../identity/user-store.ts";
import type { UserPatch } from "./api/user-schema.ts";

/** Why a change of a user was refused: an HTTP status, an error code and a sentence for people. */
export interface UserChangeRefusal {
  ok: false;
  status: 400 | 404 | 409;
  error: "invalid_request" | "not_found" | "conflict";
  message: string;
}

export type UserChangeResult = { ok: true; user: UserRow } | UserChangeRefusal;

/**
 * An admin cannot disable, delete or demote their own account. That alone keeps one active admin
 * at all times: only an active admin can remove another, and never the last one, themselves.
 */
export function selfChangeRefusal(
  adminId: string,
  userId: string,
  patch: UserPatch | "delete",
): UserChangeRefusal | undefined {
  const removesAdmin = patch === "delete" || patch.is_active === false || patch.is_admin === false;
  if (!removesAdmin || adminId !== userId) return undefined;
  return {
    ok: false,
    status: 409,
    error: "conflict",
    message: "you cannot disable, delete or remove the admin role of your own account; another admin can",
  };
}

/**
 * Applies an admin's change of a user (password reset, disable / enable, admin role): the rules of
 * the JSON API (`PATCH /admin/api/users/{id}`) and of the admin pages alike. Disabling and a
 * password reset end every credential of the user at once (see endUserCredentials).
 */
export async function changeUser(
  ctx: AppContext,
  admin: Principal,
  userId: string,
  patch: UserPatch,
): Promise<UserChangeResult> {
  const { users } = ctx;
  const current = users.byId(userId);
  if (!current) return { ok: false, status: 404, error: "not_found", message: "no such user" };
  const refused = selfChangeRefusal(admin.id, current.id, patch);
  if (refused) return refused;
  if (patch.password !== undefined) {
    const result = await users.setPassword(current.id, patch.password);
    if (!result.ok) {
      return { ok: false, status: 400, error: "invalid_request", message: `password: ${result.message}` };
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
  return { ok: true, user: updated };
}
