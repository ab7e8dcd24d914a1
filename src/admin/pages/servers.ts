import { Elysia } from "elysia";
import { ServerDetailPage } from "../../../views/admin/servers-detail.tsx";
import { ServersListPage } from "../../../views/admin/servers-list.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { htmlResponse } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";
import { type AdminPageIdentity, adminFormPost, adminPageGuard } from "./guard.ts";
import { type ConnectionTest, testServerConnection } from "./servers-test.ts";

const NO_PARSE = { parse: "none" } as const;

/**
 * `/admin/servers…`: the backend MCP servers for administrators (read side) and "Test connection",
 * a form POST with the session's CSRF token checked with the Origin.
 */
export function adminServerPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const adminPost = adminFormPost(ctx);
  const { registry, health } = gateway;

  const notFound = () =>
    messageResponse(404, { title: "Not found", message: "No such MCP server (deleted?)." });

  const detailPage = async (admin: AdminPageIdentity, server: McpServer, test?: ConnectionTest) =>
    htmlResponse(
      await ServerDetailPage({
        username: admin.username,
        csrfToken: admin.csrfToken,
        server,
        health: health.get(server.id),
        test,
      }),
    );

  return new Elysia({ name: "admin-pages-servers" })
    .get("/admin/servers", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const servers = registry.list().map((server) => ({ server, health: health.get(server.id) }));
      return htmlResponse(
        await ServersListPage({ username: admin.username, csrfToken: admin.csrfToken, servers }),
      );
    })
    .get("/admin/servers/:id", async ({ request, params }: { request: Request; params: { id: string } }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const server = registry.byId(params.id);
      return server ? detailPage(admin, server) : notFound();
    })
    .post(
      "/admin/servers/:id/test",
      async ({ request, params }: { request: Request; params: { id: string } }) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin } = post;
        const server = registry.byId(params.id);
        if (!server) return notFound();
        const test = await testServerConnection(gateway, ctx.logger, server, admin.identity.principal.id);
        ctx.logger.info(
          { server: server.name, ok: test.ok, by: admin.identity.principal.id },
          "admin connection test",
        );
        return detailPage(admin, server, test);
      },
      NO_PARSE,
    );
}
