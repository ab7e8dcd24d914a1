import { Elysia } from "elysia";
import { DashboardPage } from "../../views/admin/dashboard.tsx";
import type { ActivityModule } from "../audit/activity/module.ts";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import { htmlResponse, seeOther } from "../web/html.ts";
import { dashboardData } from "./dashboard.ts";
import { activityPageRoutes } from "./pages/activity-page.ts";
import { adminPageGuard } from "./pages/guard.ts";

/** The admin pages in the browser (cookie session). The JSON admin API lives in src/admin/api. */
export function adminRoutes(ctx: AppContext, gateway: Gateway, activity: ActivityModule) {
  const adminPage = adminPageGuard(ctx);

  return (
    new Elysia({ name: "admin-pages" })
      .get("/admin/login", () => seeOther("/login?return_to=/admin/"))
      // Elysia matches "/admin" and "/admin/" alike (non-strict paths).
      .get("/admin/", async ({ request }) => {
        const admin = await adminPage(request);
        if (admin instanceof Response) return admin;
        const html = await DashboardPage({
          username: admin.username,
          csrfToken: admin.csrfToken,
          now: ctx.clock.now(),
          ...dashboardData(ctx, gateway, activity),
        });
        return htmlResponse(html);
      })
      .use(activityPageRoutes(ctx, gateway, activity))
  );
}
