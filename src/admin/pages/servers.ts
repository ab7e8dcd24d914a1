import { Elysia } from "elysia";
import { DiscoveredLists, DiscoveredPage } from "../../../views/admin/servers-discovered.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { htmlResponse } from "../../web/html.ts";
import { adminFormPost, adminPageGuard } from "./guard.ts";
import { discoverServer } from "./servers-discovery.ts";
import { serverDetailRenderer, serverNotFound, serversListPage } from "./servers-render.ts";
import { testServerConnection } from "./servers-test.ts";

const NO_PARSE = { parse: "none" } as const;

/**
 * `/admin/servers…`, the read side: the backend MCP servers for administrators, one server's page,
 * what it offers (tools, resources, prompts) and "Test connection", a form POST with the session's
 * CSRF token checked with the Origin. Changes are in servers-edit.ts and servers-grants.ts.
 */
export function adminServerPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const adminPost = adminFormPost(ctx);
  const { registry } = gateway;
  const detailPage = serverDetailRenderer(ctx, gateway);

  return new Elysia({ name: "admin-pages-servers" })
    .get("/admin/servers", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return serversListPage(gateway, admin);
    })
    .get("/admin/servers/:id", async ({ request, params }: { request: Request; params: { id: string } }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const server = registry.byId(params.id);
      return server ? detailPage(admin, server) : serverNotFound();
    })
    .get(
      "/admin/servers/:id/discovered",
      async ({ request, params }: { request: Request; params: { id: string } }) => {
        const admin = await guard(request);
        if (admin instanceof Response) return admin;
        const server = registry.byId(params.id);
        if (!server) return serverNotFound();
        const discovery = await discoverServer(gateway, ctx.logger, server, admin.identity.principal.id);
        // htmx swaps the lists into the server's page; a browser without script gets a page.
        const html =
          request.headers.get("hx-request") === "true"
            ? await DiscoveredLists({ discovery })
            : await DiscoveredPage({
                username: admin.username,
                csrfToken: admin.csrfToken,
                server,
                discovery,
              });
        return htmlResponse(html, 200, [["Vary", "HX-Request"]]);
      },
    )
    .post(
      "/admin/servers/:id/test",
      async ({ request, params }: { request: Request; params: { id: string } }) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin } = post;
        const server = registry.byId(params.id);
        if (!server) return serverNotFound();
        const test = await testServerConnection(gateway, ctx.logger, server, admin.identity.principal.id);
        ctx.logger.info(
          { server: server.name, ok: test.ok, by: admin.identity.principal.id },
          "admin connection test",
        );
        return detailPage(admin, server, 200, { test });
      },
      NO_PARSE,
    );
}
