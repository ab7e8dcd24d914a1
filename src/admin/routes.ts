import { Elysia } from "elysia";
import { DashboardPage } from "../../views/admin/dashboard.tsx";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import { type BrowserIdentity, browserIdentity } from "../identity/browser-auth.ts";
import { htmlResponse, seeOther } from "../web/html.ts";
import { messageResponse } from "../web/pages.ts";
import { dashboardData } from "./dashboard.ts";

const LOGIN = "/login?return_to=/admin/";

/** The admin pages in the browser (cookie session). The JSON admin API lives in src/admin/api. */
export function adminRoutes(ctx: AppContext, gateway: Gateway) {
  /** The admin behind the session cookie, or the response to send instead (login redirect / 403). */
  const adminPage = async (request: Request): Promise<BrowserIdentity | Response> => {
    const identity = browserIdentity(ctx, request);
    if (!identity) return seeOther(LOGIN);
    if (!identity.principal.isAdmin) {
      return messageResponse(403, {
        title: "Forbidden",
        message: "This page is for administrators. You are signed in with an account that is not one.",
      });
    }
    return identity;
  };

  return (
    new Elysia({ name: "admin-pages" })
      .get("/admin/login", () => seeOther(LOGIN))
      // Elysia matches "/admin" and "/admin/" alike (non-strict paths).
      .get("/admin/", async ({ request }) => {
        const identity = await adminPage(request);
        if (identity instanceof Response) return identity;
        const html = await DashboardPage({
          username: identity.principal.username,
          csrfToken: ctx.browserSessions.csrfToken(identity.session),
          ...dashboardData(ctx, gateway),
        });
        return htmlResponse(html);
      })
  );
}
