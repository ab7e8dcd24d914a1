import { Elysia } from "elysia";
import type { z } from "zod";
import { UserDetailPage, type UserDetailProps } from "../../../views/admin/users-detail.tsx";
import { UsersListPage, type UsersListProps } from "../../../views/admin/users-list.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { publicUser } from "../../identity/user-service.ts";
import type { UserRow } from "../../identity/user-store.ts";
import type { OAuthServer } from "../../oauth/server.ts";
import { PortalService, type RequestOrigin, revokePersonalToken } from "../../portal/service.ts";
import { htmlResponse } from "../../web/html.ts";
import { passwordRulesText } from "../../web/setup-service.ts";
import { DEFAULT_PAGE_SIZE } from "../api/list-query.ts";
import { createUserSchema, patchUserSchema, type UserPatch } from "../api/user-schema.ts";
import { changeUser } from "../user-changes.ts";
import {
  type AdminPageIdentity,
  adminFormPost,
  adminPageGuard,
  type RequestServer,
  recordPageChange,
} from "./guard.ts";
import { userDetailData } from "./users-data.ts";

type Server = RequestServer;
type UserParams = { id: string };

const NO_PARSE = { parse: "none" } as const;
/** Longest search text (as the JSON API's `q`) and highest page number the list accepts. */
const QUERY_MAX_LENGTH = 200;
const PAGE_MAX = 1_000_000;

/** The problems of a zod parse, one sentence each, field first (as the JSON API's 400 names them). */
function problems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "form"}: ${issue.message}`);
}

/**
 * `/admin/users…`: server-rendered pages of people for administrators. Every action is a plain
 * form POST with the session's CSRF token (checked with the Origin) and calls the services the
 * JSON admin API calls (changeUser, users.create, the access policy, revokePersonalToken, the
 * portal's disconnect), so both follow one set of rules; each success is an `admin_change` event.
 */
export function adminUserPages(ctx: AppContext, gateway: Gateway, oauth: OAuthServer) {
  const guard = adminPageGuard(ctx);
  const portal = new PortalService(ctx, gateway, oauth);
  const { groups, policy, registry } = gateway;

  const origin = (request: Request, server: Server): RequestOrigin => ({
    ip: ctx.rateLimits.clientIp(request, server),
    userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
  });

  const adminPost = adminFormPost(ctx);

  const listPage = async (
    admin: AdminPageIdentity,
    q: string,
    page: number,
    status = 200,
    extra: Partial<UsersListProps> = {},
  ) => {
    const found = ctx.users.page(q || undefined, DEFAULT_PAGE_SIZE, (page - 1) * DEFAULT_PAGE_SIZE);
    const html = await UsersListPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      users: found.rows,
      total: found.total,
      q,
      page,
      pageSize: DEFAULT_PAGE_SIZE,
      passwordRules: passwordRulesText(ctx).join(" "),
      ...extra,
    });
    return htmlResponse(html, status);
  };

  const detailPage = async (
    admin: AdminPageIdentity,
    user: UserRow,
    status = 200,
    extra: Pick<UserDetailProps, "notice" | "errors"> = {},
    groupQuery = "",
  ) => {
    const html = await UserDetailPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      ...userDetailData(ctx, gateway, portal, user, groupQuery),
      self: admin.identity.principal.id === user.id,
      passwordRules: passwordRulesText(ctx).join(" "),
      now: ctx.clock.now(),
      ...extra,
    });
    return htmlResponse(html, status);
  };

  const notFoundPage = (admin: AdminPageIdentity) =>
    listPage(admin, "", 1, 404, { errors: ["No such user (deleted?)."] });

  /**
   * One action on a user's page: admin, CSRF and the user checked; `act` answers an error (shown
   * on the page with its status) or the notice of what was done, then the change is recorded.
   */
  const userAction = (
    act: (
      user: UserRow,
      fields: Record<string, string>,
      admin: AdminPageIdentity,
      request: Request,
      server: Server,
      params: Record<string, string>,
    ) => Promise<{ status: number; error: string } | { notice: string }>,
  ) => {
    return async ({
      request,
      params,
      server,
    }: {
      request: Request;
      params: Record<string, string>;
      server: Server;
    }) => {
      const post = await adminPost(request);
      if (post instanceof Response) return post;
      const { admin, fields } = post;
      const user = ctx.users.byId(params.id ?? "");
      if (!user) return notFoundPage(admin);
      const before = publicUser(user);
      const outcome = await act(user, fields, admin, request, server, params);
      if ("error" in outcome) return detailPage(admin, user, outcome.status, { errors: [outcome.error] });
      const after = ctx.users.byId(user.id);
      await recordPageChange(
        ctx,
        admin,
        { request, server, params: params, fields },
        before,
        after && publicUser(after),
      );
      return detailPage(admin, after ?? user, 200, { notice: outcome.notice });
    };
  };

  /** A change of the account through changeUser, the JSON API's PATCH rules. */
  const patchAction = (patch: UserPatch, notice: string) =>
    userAction(async (user, _fields, admin) => {
      const result = await changeUser(ctx, admin.identity.principal, user.id, patch);
      if (!result.ok) return { status: result.status, error: sentence(result.message) };
      return { notice };
    });

  return new Elysia({ name: "admin-pages-users" })
    .get("/admin/users", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const params = new URL(request.url).searchParams;
      const q = (params.get("q") ?? "").trim();
      const pageText = params.get("page") ?? "1";
      const page = /^\d{1,7}$/.test(pageText) ? Number(pageText) : 0;
      if (q.length > QUERY_MAX_LENGTH) {
        return listPage(admin, "", 1, 400, {
          errors: [`The search text is too long (at most ${QUERY_MAX_LENGTH} characters).`],
        });
      }
      if (page < 1 || page > PAGE_MAX) {
        return listPage(admin, q, 1, 400, {
          errors: [`page: expected a whole number from 1 to ${PAGE_MAX}.`],
        });
      }
      return listPage(admin, q, page);
    })
    .post(
      "/admin/users",
      async ({ request, server }) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const values = {
          username: (fields.username ?? "").slice(0, 200),
          email: (fields.email ?? "").slice(0, 300),
          isAdmin: fields.is_admin === "on",
        };
        const parsed = createUserSchema.safeParse({
          username: fields.username ?? "",
          email: fields.email ?? "",
          password: fields.password ?? "",
          is_admin: values.isAdmin,
        });
        if (!parsed.success) return listPage(admin, "", 1, 400, { errors: problems(parsed.error), values });
        const body = parsed.data;
        const result = await ctx.users.create({
          username: body.username,
          email: body.email,
          password: body.password,
          isAdmin: body.is_admin ?? false,
        });
        if (!result.ok) {
          const error =
            result.kind === "conflict" ? `${result.field}: ${result.message}` : `password: ${result.message}`;
          return listPage(admin, "", 1, result.kind === "conflict" ? 409 : 400, {
            errors: [sentence(error)],
            values,
          });
        }
        ctx.logger.info({ userId: result.user.id, by: admin.identity.principal.id }, "user created");
        const created = publicUser(result.user);
        await recordPageChange(ctx, admin, { request, server, params: {}, fields }, undefined, created);
        return detailPage(admin, result.user, 201, { notice: `User ${result.user.username} created.` });
      },
      NO_PARSE,
    )
    .get("/admin/users/:id", async ({ request, params }: { request: Request; params: UserParams }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const user = ctx.users.byId(params.id);
      if (!user) return notFoundPage(admin);
      const groupQuery = (new URL(request.url).searchParams.get("group_q") ?? "").trim();
      if (groupQuery.length > QUERY_MAX_LENGTH) {
        return detailPage(admin, user, 400, {
          errors: [`The group search is too long (at most ${QUERY_MAX_LENGTH} characters).`],
        });
      }
      return detailPage(admin, user, 200, {}, groupQuery);
    })
    .post(
      "/admin/users/:id/disable",
      patchAction({ is_active: false }, "User disabled: every session and token of theirs has ended."),
      NO_PARSE,
    )
    .post("/admin/users/:id/enable", patchAction({ is_active: true }, "User enabled."), NO_PARSE)
    .post(
      "/admin/users/:id/make-admin",
      patchAction({ is_admin: true }, "The user is an administrator now."),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/unmake-admin",
      patchAction({ is_admin: false }, "The user is no longer an administrator."),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/password",
      userAction(async (user, fields, admin) => {
        const parsed = patchUserSchema.safeParse({ password: fields.password ?? "" });
        if (!parsed.success) return { status: 400, error: problems(parsed.error).join(" ") };
        const result = await changeUser(ctx, admin.identity.principal, user.id, parsed.data);
        if (!result.ok) return { status: result.status, error: sentence(result.message) };
        return { notice: "Password reset: every session and token of the user has ended." };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/groups",
      userAction(async (user, fields, admin) => {
        const group = groups.byId((fields.group_id ?? "").slice(0, 200));
        if (!group) return { status: 404, error: "No such group." };
        policy.addMember(group.id, user.id);
        ctx.logger.info(
          { groupId: group.id, userId: user.id, by: admin.identity.principal.id },
          "group member added",
        );
        return { notice: `Added to the group ${group.name}.` };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/groups/:groupId/remove",
      userAction(async (user, _fields, admin, _request, _server, params) => {
        const group = groups.byId(params.groupId ?? "");
        if (!group || !policy.removeMember(group.id, user.id)) {
          return { status: 404, error: "The user is not a member of this group." };
        }
        ctx.logger.info(
          { groupId: group.id, userId: user.id, by: admin.identity.principal.id },
          "group member removed",
        );
        return { notice: `Removed from the group ${group.name}.` };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/grants/:grantId/revoke",
      userAction(async (user, _fields, admin, _request, _server, params) => {
        const grant = policy.grant(params.grantId ?? "");
        if (grant?.principalType !== "user" || grant.principalId !== user.id) {
          return { status: 404, error: "No such grant of this user." };
        }
        policy.removeGrant(grant.id);
        ctx.logger.info(
          { serverId: grant.serverId, grantId: grant.id, by: admin.identity.principal.id },
          "server grant revoked",
        );
        const server = registry.byId(grant.serverId);
        return { notice: `Grant revoked${server ? ` on ${server.name}` : ""}.` };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/applications/revoke",
      userAction(async (user, fields, _admin, request, server) => {
        const principal = ctx.users.principal(user.id);
        const clientId = (fields.client_id ?? "").slice(0, 2048);
        if (!principal || !portal.disconnect(principal, clientId, origin(request, server), "admin")) {
          return { status: 404, error: "No such connected application." };
        }
        return { notice: "Application disconnected: its tokens for this user are revoked." };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/tokens/:tokenId/revoke",
      userAction(async (user, _fields, admin, request, server, params) => {
        const token = ctx.personalTokens.byId(params.tokenId ?? "");
        const revoked =
          token?.userId === user.id &&
          revokePersonalToken(ctx, token.id, admin.identity.principal.id, origin(request, server)) !==
            undefined;
        if (!revoked) return { status: 404, error: "No such live token of this user." };
        return { notice: "Token revoked: it no longer works." };
      }),
      NO_PARSE,
    )
    .post(
      "/admin/users/:id/sessions/revoke",
      userAction(async (user, fields) => {
        const hash = (fields.session ?? "").slice(0, 128);
        if (!ctx.browserSessions.destroyByHash(user.id, hash))
          return { status: 404, error: "No such session." };
        return { notice: "Browser session ended." };
      }),
      NO_PARSE,
    );
}

/** "password: too short" → "Password: too short." */
function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
