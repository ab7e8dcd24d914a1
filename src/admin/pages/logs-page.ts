import { Elysia } from "elysia";
import { LogsPage } from "../../../views/admin/logs.tsx";
import { LogRow } from "../../../views/admin/logs-row.tsx";
import type { AppContext } from "../../context.ts";
import { logFilterOf, logQuerySchema, logStreamQuerySchema, parseLogQuery } from "../../logs/query.ts";
import { htmlResponse } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";
import { adminPageGuard } from "./guard.ts";

/**
 * `/admin/logs` (the page: filters, live list, the ring's recent lines) and `/admin/logs/stream`:
 * the live lines for the page's script as server-rendered, escaped table rows (each SSE `log`
 * event's data is the row's HTML as a JSON string), so both lists share one row markup and the
 * script never builds markup from data.
 */
export function logsPageRoutes(ctx: AppContext) {
  const adminPage = adminPageGuard(ctx);
  const { ring, streams } = ctx.logs;
  const maxLines = Math.min(ctx.config.adminLogPageLines, ring.capacity);
  const pageQuery = logQuerySchema(ring.capacity);
  const badQuery = (message: string) => messageResponse(400, { title: "Bad request", message });

  return new Elysia({ name: "admin-page-logs" })
    .get("/admin/logs", async ({ request }) => {
      const admin = await adminPage(request);
      if (admin instanceof Response) return admin;
      const query = parseLogQuery(new URL(request.url), pageQuery);
      if (!query.ok) return badQuery(query.message);
      const html = await LogsPage({
        username: admin.username,
        csrfToken: admin.csrfToken,
        query: query.value,
        lines: ring.recent(logFilterOf(query.value), query.value.limit ?? maxLines),
        maxLines,
        kept: ring.size,
        capacity: ring.capacity,
      });
      return htmlResponse(html);
    })
    .get("/admin/logs/stream", async ({ request }) => {
      const admin = await adminPage(request);
      if (admin instanceof Response) return admin;
      const query = parseLogQuery(new URL(request.url), logStreamQuerySchema);
      if (!query.ok) return badQuery(query.message);
      // LogRow has no async part: kitajs renders it to a string synchronously.
      return streams.respond(request, logFilterOf(query.value), (line) => LogRow({ line }) as string);
    });
}
