import type { AppContext } from "../../context.ts";
import { sameOriginRequest } from "../../identity/browser-auth.ts";
import { csrfRejected, readBrowserForm } from "../../web/pages.ts";
import { type AdminPageIdentity, adminPageGuard } from "./guard.ts";

export type AdminFormPost = (
  request: Request,
) => Promise<{ admin: AdminPageIdentity; fields: Record<string, string> } | Response>;

/**
 * A form posted by an admin page (audit, tool pinning): the admin checked first (login redirect,
 * 403), then the form read and its CSRF token and Origin checked (403) before anything happens.
 */
export function adminFormPost(ctx: AppContext): AdminFormPost {
  const guard = adminPageGuard(ctx);
  return async (request) => {
    const admin = await guard(request);
    if (admin instanceof Response) return admin;
    const form = await readBrowserForm(ctx, request);
    if (!form.ok) return form.response;
    const csrfOk =
      ctx.browserSessions.checkCsrf(admin.identity.session, form.value._csrf) &&
      sameOriginRequest(request, ctx.config.publicUrl);
    if (!csrfOk) return csrfRejected();
    return { admin, fields: form.value };
  };
}
