import { Elysia } from "elysia";
import { type ActivityHistory, ActivityPage } from "../../../views/admin/activity.tsx";
import { ActivityRow, type ActivityRowData } from "../../../views/admin/activity-row.tsx";
import type { ActivityModule } from "../../audit/activity/module.ts";
import type { McpActivity } from "../../audit/activity/types.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { htmlResponse } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";
import { DEFAULT_PAGE_SIZE } from "../api/list-query.ts";
import { parseActivityQuery, storeFilterOf } from "./activity-query.ts";
import { adminPageGuard } from "./guard.ts";

/**
 * `/admin/activity` (the page: filters, live list, stored history paged on the server) and
 * `/admin/activity/stream`: the live rows for the page's script, as server-rendered, escaped
 * table rows (each SSE `activity` event's data is the row's HTML as a JSON string), so the live
 * and the stored lists share one row markup and the script never builds markup from data.
 */
export function activityPageRoutes(ctx: AppContext, gateway: Gateway, activity: ActivityModule) {
  const adminPage = adminPageGuard(ctx);

  const withUsername = (row: McpActivity & { id?: number }): ActivityRowData => ({
    ...row,
    username: row.userId === null ? null : (ctx.users.principal(row.userId)?.username ?? null),
  });

  const badQuery = (message: string) => messageResponse(400, { title: "Bad request", message });

  return new Elysia({ name: "admin-page-activity" })
    .get("/admin/activity", async ({ request }) => {
      const admin = await adminPage(request);
      if (admin instanceof Response) return admin;
      const query = parseActivityQuery(new URL(request.url));
      if (!query.ok) return badQuery(query.message);
      const { filters, page } = query.value;
      const history: ActivityHistory = {
        stored: activity.queue !== undefined,
        unknownUser: false,
        rows: [],
        total: 0,
        page,
        pageSize: DEFAULT_PAGE_SIZE,
      };
      if (activity.queue !== undefined) {
        const { filter, matches } = storeFilterOf(ctx, filters);
        history.unknownUser = !matches;
        if (matches) {
          activity.queue.flush(); // what was recorded before this request is listed
          const found = activity.store.page(filter, DEFAULT_PAGE_SIZE, (page - 1) * DEFAULT_PAGE_SIZE);
          history.rows = found.rows.map(withUsername);
          history.total = found.total;
        }
      }
      const html = await ActivityPage({
        username: admin.username,
        csrfToken: admin.csrfToken,
        filters,
        servers: gateway.registry
          .list()
          .map((server) => server.name)
          .sort(),
        liveMaxRows: ctx.config.adminLiveActivityRows,
        history,
      });
      return htmlResponse(html);
    })
    .get("/admin/activity/stream", async ({ request }) => {
      const admin = await adminPage(request);
      if (admin instanceof Response) return admin;
      const query = parseActivityQuery(new URL(request.url));
      if (!query.ok) return badQuery(query.message);
      const { filter, matches } = storeFilterOf(ctx, query.value.filters);
      // An unknown user matches nothing: a filter no row can pass (user ids are never empty).
      if (!matches) filter.userId = "";
      // ActivityRow has no async part: kitajs renders it to a string synchronously.
      return activity.streams.respond(
        request,
        filter,
        (row) => ActivityRow({ row: withUsername(row) }) as string,
      );
    });
}
