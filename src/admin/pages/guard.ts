import type { AppContext } from "../../context.ts";
import { type BrowserIdentity, browserIdentity } from "../../identity/browser-auth.ts";
import { seeOther } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";

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
