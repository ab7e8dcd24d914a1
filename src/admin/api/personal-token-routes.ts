import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { PersonalToken } from "../../portal/personal-tokens.ts";
import { revokePersonalToken } from "../../portal/service.ts";
import { adminHandler, type IdParams, noContent, notFound } from "../guard.ts";
import { adminPageHandler } from "./list-query.ts";

const BASE = "/admin/api/personal-tokens";
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Every user's personal access tokens for administrators: `GET` lists them newest first
 * (`?q=` a username or user id shows one user's; revoked ones included, never a secret or hash),
 * `DELETE …/{id}` revokes one at once (204; 404 when there is no such live token).
 */
export function personalTokenApiRoutes(ctx: AppContext) {
  const render = (token: PersonalToken) => {
    const now = ctx.clock.now();
    const status =
      token.revokedAt !== null
        ? "revoked"
        : token.expiresAt !== null && token.expiresAt <= now
          ? "expired"
          : "active";
    return {
      id: token.id,
      user_id: token.userId,
      username: ctx.users.principal(token.userId)?.username ?? null,
      name: token.name,
      servers: token.servers,
      status,
      created_at: iso(token.createdAt),
      expires_at: iso(token.expiresAt),
      revoked_at: iso(token.revokedAt),
    };
  };

  const page = (q: string | undefined, limit: number, offset: number) => {
    if (q === undefined) return ctx.personalTokens.page({}, limit, offset);
    const user = ctx.users.byUsername(q) ?? ctx.users.byId(q);
    if (!user) return { rows: [], total: 0 };
    return ctx.personalTokens.page({ userId: user.id }, limit, offset);
  };

  return new Elysia({ name: "admin-api-personal-tokens" })
    .get(BASE, adminPageHandler(ctx, "personal_tokens", page, render), {
      detail: { summary: "List every user's personal access tokens (q: a username or user id)" },
    })
    .delete(
      `${BASE}/:id`,
      adminHandler(ctx, (admin, { id }: IdParams, request) => {
        const revoked = revokePersonalToken(ctx, id, admin.id, {
          ip: null,
          userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
        });
        return revoked ? noContent() : notFound("personal access token");
      }),
      { parse: "none", detail: { summary: "Revoke a personal access token" } },
    );
}
