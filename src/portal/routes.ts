import { Elysia } from "elysia";
import { PortalAccountPage } from "../../views/portal/account.tsx";
import { PortalApplicationsPage } from "../../views/portal/applications.tsx";
import { PortalServersPage } from "../../views/portal/servers.tsx";
import { PortalTokensPage, type PortalTokensProps } from "../../views/portal/tokens.tsx";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import type { clientIp } from "../http/client-ip.ts";
import { type BrowserIdentity, browserIdentity, sameOriginRequest } from "../identity/browser-auth.ts";
import { PASSWORD_MAX_LENGTH } from "../identity/password-policy.ts";
import type { OAuthServer } from "../oauth/server.ts";
import { type HeaderList, htmlResponse, seeOther } from "../web/html.ts";
import { csrfRejected, formRateLimit, messageResponse, readBrowserForm } from "../web/pages.ts";
import { clearedSessionCookie, startBrowserSession } from "../web/session.ts";
import { passwordRulesText } from "../web/setup-service.ts";
import { PortalService, type RequestOrigin } from "./service.ts";
import { readTokenForm } from "./token-form.ts";

type Server = Parameters<typeof clientIp>[1];

/** Longest id in a path or field that can name a token or a client (longer ones name nothing). */
const ID_MAX_LENGTH = 2048;

/**
 * The user portal (`/portal/…`): any active signed-in person, cookie session as the admin. Pages
 * are server-rendered and every form is a plain POST (no script needed) carrying the session's
 * CSRF token, checked with the Origin before anything changes. Without a session: the login page,
 * which comes back here.
 */
export function portalRoutes(ctx: AppContext, gateway: Gateway, oauth: OAuthServer) {
  const portal = new PortalService(ctx, gateway, oauth);

  const signedIn = (request: Request, returnTo: string): BrowserIdentity | Response => {
    const identity = browserIdentity(ctx, request);
    return identity ?? seeOther(`/login?return_to=${encodeURIComponent(returnTo)}`);
  };

  const origin = (request: Request, server: Server): RequestOrigin => ({
    ip: ctx.rateLimits.clientIp(request, server),
    userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
  });

  /** A POST from the portal: form read, session, CSRF and Origin checked; else the response to send. */
  const portalPost = async (
    request: Request,
    returnTo: string,
  ): Promise<{ identity: BrowserIdentity; fields: Record<string, string> } | Response> => {
    const form = await readBrowserForm(ctx, request);
    if (!form.ok) return form.response;
    const identity = signedIn(request, returnTo);
    if (identity instanceof Response) return identity;
    const csrfOk =
      ctx.browserSessions.checkCsrf(identity.session, form.value._csrf) &&
      sameOriginRequest(request, ctx.config.publicUrl);
    if (!csrfOk) return csrfRejected();
    return { identity, fields: form.value };
  };

  const page = (identity: BrowserIdentity) => ({
    username: identity.principal.username,
    csrfToken: ctx.browserSessions.csrfToken(identity.session),
  });

  const tokensPage = async (
    identity: BrowserIdentity,
    status = 200,
    extra: Partial<PortalTokensProps> = {},
  ): Promise<Response> => {
    const principal = identity.principal;
    const html = await PortalTokensPage({
      ...page(identity),
      tokens: portal.tokens(principal.id),
      servers: portal.servers(principal).map(({ name, displayName }) => ({ name, displayName })),
      maxLifetimeDays: ctx.config.personalTokenMaxLifetimeDays,
      maxPerUser: ctx.config.personalTokenMaxPerUser,
      now: ctx.clock.now(),
      ...extra,
    });
    return htmlResponse(html, status);
  };

  const accountPage = async (
    identity: BrowserIdentity,
    status = 200,
    extra: { notice?: string; errors?: string[] } = {},
    headers: HeaderList = [],
  ): Promise<Response> => {
    const row = ctx.users.byId(identity.principal.id);
    const html = await PortalAccountPage({
      ...page(identity),
      email: row?.email ?? "",
      passwordRules: passwordRulesText(ctx).join(" "),
      ...extra,
    });
    return htmlResponse(html, status, headers);
  };

  const applicationsPage = async (identity: BrowserIdentity, status = 200, notice?: string) => {
    const html = await PortalApplicationsPage({
      ...page(identity),
      applications: portal.applications(identity.principal.id),
      notice,
    });
    return htmlResponse(html, status);
  };

  return (
    new Elysia({ name: "portal" })
      // Elysia matches "/portal" and "/portal/" alike (non-strict paths).
      .get("/portal/", async ({ request }) => {
        const identity = signedIn(request, "/portal/");
        if (identity instanceof Response) return identity;
        const html = await PortalServersPage({
          ...page(identity),
          servers: portal.servers(identity.principal),
          aggregate: portal.aggregate(),
        });
        return htmlResponse(html);
      })
      .get("/portal/tokens", ({ request }) => {
        const identity = signedIn(request, "/portal/tokens");
        if (identity instanceof Response) return identity;
        return tokensPage(identity);
      })
      .post(
        "/portal/tokens",
        async ({ request, server }) => {
          const post = await portalPost(request, "/portal/tokens");
          if (post instanceof Response) return post;
          const { identity, fields } = post;
          const usable = portal.servers(identity.principal).map((s) => s.name);
          const form = readTokenForm(fields, usable, ctx.config.personalTokenMaxLifetimeDays);
          if (!form.ok) return tokensPage(identity, 400, { errors: form.errors, values: form.values });
          const created = portal.createToken(identity.principal, form.value, origin(request, server));
          if (!created.ok) return tokensPage(identity, 409, { errors: [created.error] });
          // The page itself (not a redirect): the secret exists only in this answer.
          return tokensPage(identity, 201, { created: { token: created.token, record: created.record } });
        },
        { parse: "none" },
      )
      .post(
        "/portal/tokens/:id/revoke",
        async ({ request, params, server }) => {
          const post = await portalPost(request, "/portal/tokens");
          if (post instanceof Response) return post;
          const { identity } = post;
          const id = params.id.slice(0, ID_MAX_LENGTH);
          if (!portal.revokeToken(identity.principal, id, origin(request, server))) {
            return tokensPage(identity, 404, { errors: ["No such token (revoked already?)."] });
          }
          return tokensPage(identity, 200, { notice: "Token revoked: it no longer works." });
        },
        { parse: "none" },
      )
      .get("/portal/applications", ({ request }) => {
        const identity = signedIn(request, "/portal/applications");
        if (identity instanceof Response) return identity;
        return applicationsPage(identity);
      })
      .post(
        "/portal/applications/disconnect",
        async ({ request, server }) => {
          const post = await portalPost(request, "/portal/applications");
          if (post instanceof Response) return post;
          const { identity, fields } = post;
          const clientId = (fields.client_id ?? "").slice(0, ID_MAX_LENGTH);
          if (!portal.disconnect(identity.principal, clientId, origin(request, server))) {
            return applicationsPage(identity, 404, "No such connected application.");
          }
          return applicationsPage(identity, 200, "Application disconnected: its access has ended.");
        },
        { parse: "none" },
      )
      .get("/portal/account", ({ request }) => {
        const identity = signedIn(request, "/portal/account");
        if (identity instanceof Response) return identity;
        return accountPage(identity);
      })
      .post(
        "/portal/account/password",
        async ({ request, server }) => {
          const post = await portalPost(request, "/portal/account");
          if (post instanceof Response) return post;
          const { identity, fields } = post;
          // The current password can be guessed here as at the sign-in: the same per-IP limit.
          const limited = formRateLimit(ctx, "login", request, server);
          if (limited) return accountPage(identity, 429, { errors: [limited.message] }, limited.headers);
          const current = fields.current_password ?? "";
          const next = fields.new_password ?? "";
          if (next !== (fields.new_password_confirm ?? "")) {
            return accountPage(identity, 400, { errors: ["The two new passwords do not match."] });
          }
          const row = ctx.users.byId(identity.principal.id);
          const currentOk =
            row?.passwordHash != null &&
            current.length > 0 &&
            current.length <= PASSWORD_MAX_LENGTH &&
            (await Bun.password.verify(current, row.passwordHash).catch(() => false));
          if (!currentOk)
            return accountPage(identity, 400, { errors: ["The current password is not correct."] });
          const changed = await ctx.users.setPassword(identity.principal.id, next);
          if (!changed.ok) {
            return accountPage(identity, 400, { errors: [`New password: ${changed.message}.`] });
          }
          portal.endEverything(identity.principal, origin(request, server), "password_changed");
          // Every session ended with the old password; this browser gets a new one.
          const cookie = startBrowserSession(ctx, request, identity.principal.id);
          const fresh = browserIdentity(ctx, withCookie(request, cookie));
          if (!fresh) return seeOther("/login?return_to=/portal/account");
          return accountPage(
            fresh,
            200,
            { notice: "Password changed. You were signed out everywhere else and your tokens were revoked." },
            [["Set-Cookie", cookie]],
          );
        },
        { parse: "none" },
      )
      .post(
        "/portal/account/sign-out-everywhere",
        async ({ request, server }) => {
          const post = await portalPost(request, "/portal/account");
          if (post instanceof Response) return post;
          portal.endEverything(post.identity.principal, origin(request, server), "signed_out_everywhere");
          return messageResponse(
            200,
            {
              title: "Signed out everywhere",
              message:
                "Every session, every application token and every personal access token of yours has ended.",
              link: { href: "/login?return_to=/portal/", label: "Sign in again" },
            },
            [["Set-Cookie", clearedSessionCookie(ctx)]],
          );
        },
        { parse: "none" },
      )
  );
}

/** The request as if it carried the new session cookie (to render the page for the new session). */
function withCookie(request: Request, setCookie: string): Request {
  return new Request(request.url, { headers: { cookie: setCookie.split(";")[0] ?? "" } });
}
