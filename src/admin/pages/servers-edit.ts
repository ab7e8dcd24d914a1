import { Elysia } from "elysia";
import { ServerDeletePage } from "../../../views/admin/servers-delete.tsx";
import { ServerFormPage } from "../../../views/admin/servers-form.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { ServerInput } from "../../gateway/registry.ts";
import type { McpServer } from "../../gateway/types.ts";
import { htmlResponse } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";
import { createServerSchema, patchServerSchema, toServerInput } from "../api/server-schema.ts";
import { registryProblem, serverInputProblem } from "../server-input.ts";
import {
  type AdminPageIdentity,
  adminFormPost,
  adminPageGuard,
  type RequestServer,
  recordPageChange,
} from "./guard.ts";
import {
  type FormErrors,
  formToServerBody,
  keptValues,
  NEW_SERVER_VALUES,
  problemErrors,
  schemaErrors,
  serverValues,
} from "./servers-form.ts";
import { serverDetailRenderer, serverNotFound, serversListPage } from "./servers-render.ts";

const NO_PARSE = { parse: "none" } as const;

type Call = { request: Request; params: { id?: string }; server: RequestServer };

/** A config-file server cannot change here: the page says why (as the JSON API's 409). */
const configManaged = (server: McpServer) =>
  messageResponse(409, {
    title: "Managed by the config file",
    message: `The server ${server.name} comes from the config file (mcp_services): change it there.`,
  });

/**
 * `/admin/servers/new`, `/admin/servers/{id}/edit` and `/admin/servers/{id}/delete`: a server
 * added, changed or deleted from the browser. The form is read into the JSON API's body and
 * validated by the API's own schema and checks (src/admin/server-input.ts), so both refuse the
 * same input; a refused form comes back with each problem next to its field and the values kept,
 * except secrets: credential values are write-only and never rendered, not even masked.
 */
export function adminServerEditPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const adminPost = adminFormPost(ctx);
  const { registry } = gateway;
  const detailPage = serverDetailRenderer(ctx, gateway);

  const formPage = async (
    admin: AdminPageIdentity,
    server: McpServer | undefined,
    values: Record<string, string>,
    errors: FormErrors = {},
    status = 200,
  ) =>
    htmlResponse(
      await ServerFormPage({ username: admin.username, csrfToken: admin.csrfToken, server, values, errors }),
      status,
    );

  /**
   * The form's server input, checked as the API checks it: the schema, then the shared checks
   * (signing algorithm, where the URLs lead, the stdio command); or the form's problems.
   */
  const readForm = async (
    fields: Record<string, string>,
    editing: boolean,
  ): Promise<{ ok: true; input: Partial<ServerInput> } | { ok: false; errors: FormErrors }> => {
    const body = formToServerBody(fields, editing);
    if (!body.ok) return body;
    const parsed = (editing ? patchServerSchema : createServerSchema).safeParse(body.body);
    if (!parsed.success) return { ok: false, errors: schemaErrors(parsed.error) };
    const input = toServerInput(parsed.data);
    const problem = await serverInputProblem(ctx, gateway, input);
    return problem ? { ok: false, errors: problemErrors(problem) } : { ok: true, input };
  };

  /** The server of an edit or delete route: its page's answer when it cannot be changed here. */
  const changeable = async (id: string | undefined): Promise<McpServer | Response> => {
    const server = registry.byId(id ?? "");
    if (!server) return serverNotFound();
    return server.managedBy === "config" ? configManaged(server) : server;
  };

  /** The signed-in admin and the server of an edit or delete page, or the answer refusing either. */
  const pageOf = async (
    request: Request,
    id: string,
  ): Promise<{ admin: AdminPageIdentity; server: McpServer } | Response> => {
    const admin = await guard(request);
    if (admin instanceof Response) return admin;
    const server = await changeable(id);
    return server instanceof Response ? server : { admin, server };
  };

  return new Elysia({ name: "admin-pages-servers-edit" })
    .get("/admin/servers/new", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return formPage(admin, undefined, NEW_SERVER_VALUES);
    })
    .post(
      "/admin/servers/new",
      async ({ request, params, server: bunServer }: Call) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const values = keptValues(fields);
        const read = await readForm(fields, false);
        if (!read.ok) return formPage(admin, undefined, values, read.errors, 400);
        const result = await registry.create(read.input as ServerInput);
        if (!result.ok)
          return formPage(admin, undefined, values, problemErrors(registryProblem(result)), result.status);
        ctx.logger.info(
          { serverId: result.server.id, by: admin.identity.principal.id },
          "mcp server created",
        );
        await recordPageChange(
          ctx,
          admin,
          { request, server: bunServer, params, fields: values },
          undefined,
          result.server,
        );
        return detailPage(admin, result.server, 201, { notice: `Server ${result.server.name} added.` });
      },
      NO_PARSE,
    )
    .get(
      "/admin/servers/:id/edit",
      async ({ request, params }: { request: Request; params: { id: string } }) => {
        const page = await pageOf(request, params.id);
        if (page instanceof Response) return page;
        return formPage(page.admin, page.server, serverValues(page.server));
      },
    )
    .post(
      "/admin/servers/:id/edit",
      async ({ request, params, server: bunServer }: Call) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const server = await changeable(params.id);
        if (server instanceof Response) return server;
        const values = keptValues(fields);
        const read = await readForm(fields, true);
        if (!read.ok) return formPage(admin, server, values, read.errors, 400);
        const result = await registry.update(server.id, read.input);
        if (!result.ok)
          return formPage(admin, server, values, problemErrors(registryProblem(result)), result.status);
        ctx.logger.info({ serverId: server.id, by: admin.identity.principal.id }, "mcp server updated");
        await recordPageChange(
          ctx,
          admin,
          { request, server: bunServer, params, fields: values },
          server,
          result.server,
        );
        return detailPage(admin, result.server, 200, { notice: "Changes saved." });
      },
      NO_PARSE,
    )
    .get(
      "/admin/servers/:id/delete",
      async ({ request, params }: { request: Request; params: { id: string } }) => {
        const page = await pageOf(request, params.id);
        if (page instanceof Response) return page;
        const { admin, server } = page;
        const grants = gateway.policy.grantsOf(server.id).length;
        return htmlResponse(
          await ServerDeletePage({ username: admin.username, csrfToken: admin.csrfToken, server, grants }),
        );
      },
    )
    .post(
      "/admin/servers/:id/delete",
      async ({ request, params, server: bunServer }: Call) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const server = await changeable(params.id);
        if (server instanceof Response) return server;
        const result = registry.remove(server.id);
        if (!result.ok)
          return messageResponse(result.status, { title: "Not deleted", message: result.message });
        ctx.logger.info({ serverId: server.id, by: admin.identity.principal.id }, "mcp server deleted");
        await recordPageChange(ctx, admin, { request, server: bunServer, params, fields }, server, undefined);
        return serversListPage(gateway, admin, `Server ${server.name} deleted.`);
      },
      NO_PARSE,
    );
}
