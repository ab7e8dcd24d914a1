import { recordAdminChange } from "../../audit/security-events/admin-change.ts";
import type { AppContext } from "../../context.ts";
import type { clientIp } from "../../http/client-ip.ts";
import { type BrowserIdentity, browserIdentity, sameOriginRequest } from "../../identity/browser-auth.ts";
import { seeOther } from "../../web/html.ts";
import { csrfRejected, messageResponse, readBrowserForm } from "../../web/pages.ts";

/** What every admin page renders with: who is signed in and the session's CSRF token. */
export interface AdminPageIdentity {
  identity: BrowserIdentity;
  username: string;
  csrfToken: string;
}

/**
 * The admin behind the session cookie, or the response to send instead: a redirect to the login
 * (returning to the page asked for) without a session, 403 for a person who is not an admin.
 * Checked on the server for every admin page and fragment.
 */
export function adminPageGuard(ctx: AppContext) {
  return async (request: Request): Promise<AdminPageIdentity | Response> => {
    const identity = browserIdentity(ctx, request);
    if (!identity) {
      const url = new URL(request.url);
      const back = request.method === "GET" ? `${url.pathname}${url.search}` : "/admin/";
      // Only the characters that would end the parameter are encoded: "/admin/" stays readable.
      return seeOther(`/login?return_to=${back.replace(/[&#%+\s]/g, encodeURIComponent)}`);
    }
    if (!identity.principal.isAdmin) {
      return messageResponse(403, {
        title: "Forbidden",
        message: "This page is for administrators. You are signed in with an account that is not one.",
      });
    }
    return {
      identity,
      username: identity.principal.username,
      csrfToken: ctx.browserSessions.csrfToken(identity.session),
    };
  };
}

/** The Bun server of a request (the client address of an event comes from it). */
export type RequestServer = Parameters<typeof clientIp>[1];

export type AdminFormPost = (
  request: Request,
) => Promise<{ admin: AdminPageIdentity; fields: Record<string, string> } | Response>;

/**
 * A form posted by an admin page: the admin checked first (login redirect, 403), then the form
 * read and its CSRF token and Origin checked (403) before anything happens. `fields` are the
 * form's fields without `_csrf`.
 */
export function adminFormPost(ctx: AppContext): AdminFormPost {
  const guard = adminPageGuard(ctx);
  return async (request) => {
    const admin = await guard(request);
    if (admin instanceof Response) return admin;
    const form = await readBrowserForm(ctx, request);
    if (!form.ok) return form.response;
    const { _csrf, ...fields } = form.value;
    const csrfOk =
      ctx.browserSessions.checkCsrf(admin.identity.session, _csrf) &&
      sameOriginRequest(request, ctx.config.publicUrl);
    if (!csrfOk) return csrfRejected();
    return { admin, fields };
  };
}

/** Records the `admin_change` of a page action that succeeded, as the JSON API does for its calls. */
export function recordPageChange(
  ctx: AppContext,
  admin: AdminPageIdentity,
  call: { request: Request; server: RequestServer; params: unknown; fields: Record<string, string> },
  before: unknown,
  after: unknown,
): Promise<void> {
  const { request, server, params, fields } = call;
  return recordAdminChange(
    ctx,
    { admin: admin.identity.principal, request, server, params, body: fields, before, after },
    new Response(null, { status: 200 }),
  );
}
