import type { AnyElysia } from "elysia";
import { ApiTestPage, type ApiTestPageProps } from "../../../views/admin/api-test.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { htmlResponse } from "../../web/html.ts";
import { callToolAsAdmin, type McpDispatch } from "./api-test-call.ts";
import { initialValues, readArguments, toolForm } from "./api-test-schema.ts";
import { listServerTools } from "./api-test-tools.ts";
import { type AdminPageIdentity, adminFormPost, adminPageGuard } from "./guard.ts";

const NO_PARSE = { parse: "none" } as const;

type PageState = Omit<ApiTestPageProps, "values" | "errors">;

/**
 * `/admin/api-test`: pick a server (one the admin may use) and one of its tools, fill in a form
 * generated from the tool's input schema, and call it as yourself through the gateway (see
 * api-test-call.ts). GET shows the choice and the form; POST (the form, with the session's CSRF
 * token checked with the Origin) makes the call and shows the form again with the request and
 * the answer. Invalid values re-render the form with each problem next to its field, and nothing
 * is called. Answers are 200 even then: htmx (the form posts with it when scripts run) swaps only
 * 2xx answers, and the page is the answer in both cases.
 */
export function adminApiTestPage(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const adminPost = adminFormPost(ctx);
  const { registry, policy } = gateway;
  // Looked up on each call (not bound once): the same handler the listening server routes to.
  const dispatch: McpDispatch = (request, serverName) => gateway.proxy.handle(request, serverName);

  const usableServers = (admin: AdminPageIdentity): McpServer[] =>
    registry
      .list()
      .filter((server) => server.enabled && policy.decide(server, admin.identity.principal).granted);

  /** What the page shows for this server and tool choice (each optional), and its status. */
  const prepare = async (
    admin: AdminPageIdentity,
    serverName: string | undefined,
    toolName: string | undefined,
  ): Promise<{ state: PageState; status: number }> => {
    const servers = usableServers(admin);
    const state: PageState = {
      username: admin.username,
      csrfToken: admin.csrfToken,
      servers: servers.map(({ name, displayName }) => ({ name, displayName })),
      maxAnswerBytes: ctx.config.adminApiTestMaxAnswerBytes,
    };
    if (!serverName) return { state, status: 200 };
    const server = servers.find((one) => one.name === serverName);
    if (!server) {
      return { state: { ...state, problem: "No such server, or not one you may use." }, status: 404 };
    }
    const principal = admin.identity.principal;
    const listing = await listServerTools(gateway, ctx.logger, server, {
      id: principal.id,
      allowed: policy.decide(server, principal).toolAllowed,
    });
    const chosen = { ...state, server: { name: server.name, displayName: server.displayName }, listing };
    if (!toolName || !listing.ok) return { state: chosen, status: 200 };
    const tool = listing.tools.find((one) => one.name === toolName);
    if (!tool) return { state: { ...chosen, problem: "The server lists no such tool." }, status: 404 };
    const form = toolForm(tool.inputSchema, ctx.config.adminApiTestMaxFields);
    return { state: { ...chosen, tool, form }, status: 200 };
  };

  const render = async (props: ApiTestPageProps, status: number) =>
    htmlResponse(await ApiTestPage(props), status);

  const showPage = async (request: Request): Promise<Response> => {
    const admin = await guard(request);
    if (admin instanceof Response) return admin;
    const query = new URL(request.url).searchParams;
    const { state, status } = await prepare(
      admin,
      query.get("server") ?? undefined,
      query.get("tool") ?? undefined,
    );
    const values = state.form ? initialValues(state.form) : {};
    return render({ ...state, values, errors: {} }, status);
  };

  const callTool = async (request: Request): Promise<Response> => {
    const post = await adminPost(request);
    if (post instanceof Response) return post;
    const { admin, fields } = post;
    const { state, status } = await prepare(admin, fields.server || undefined, fields.tool || undefined);
    const server = state.server && registry.byName(state.server.name);
    if (!server || !state.tool || !state.form) {
      const problem = state.problem ?? "Choose a server and one of its tools first.";
      return render({ ...state, problem, values: {}, errors: {} }, status === 200 ? 400 : status);
    }
    const read = readArguments(state.form, fields);
    if (!read.ok) return render({ ...state, values: fields, errors: read.errors }, 200);
    const principal = admin.identity.principal;
    const call = await callToolAsAdmin(ctx, dispatch, server, principal.id, {
      tool: state.tool.name,
      arguments: read.arguments,
    });
    ctx.logger.info(
      {
        server: server.name,
        tool: state.tool.name,
        by: principal.id,
        outcome: call.outcome.kind,
        latencyMs: call.latencyMs,
      },
      "admin API test call",
    );
    return render({ ...state, values: fields, errors: {}, call }, 200);
  };

  // A functional plugin: the routes join the app without adding to its type, which is already as
  // deep as TypeScript instantiates (TS2589 in src/app.ts with one more typed plugin). The context
  // of a generic app is untyped: only its request is read, and handed on typed.
  return <App extends AnyElysia>(app: App): App => {
    app.get("/admin/api-test", ({ request }) => showPage(request));
    app.post("/admin/api-test", ({ request }) => callTool(request), NO_PARSE);
    return app;
  };
}
