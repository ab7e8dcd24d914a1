import { Elysia } from "elysia";
import { approveCurrentDefinitions } from "../../audit/pinning/approve.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { ServerInput } from "../../gateway/registry.ts";
import type { McpServer } from "../../gateway/types.ts";
import { json, jsonError } from "../../http/errors.ts";
import {
  adminHandler,
  adminItemHandler,
  adminJsonHandler,
  type IdParams,
  noContent,
  notFound,
} from "../guard.ts";
import { serverInputProblem } from "../server-input.ts";
import { createServerSchema, patchServerSchema, toServerInput } from "./server-schema.ts";
import { serverToolApiRoutes } from "./server-tool-routes.ts";
import { stdioView } from "./stdio-view.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/mcp-servers";

type UserParams = { id: string; userId: string };

/** The JSON admin API of backend servers. Credentials are write-only: shown as a kind and "configured". */
export function serverApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { registry, health, backendAuth } = gateway;

  const view = (server: McpServer) => {
    const expiry = backendAuth.tokenExpiry(server.id);
    return {
      id: server.id,
      name: server.name,
      display_name: server.displayName,
      url: server.transport === "stdio" ? null : server.url,
      ...stdioView(server),
      resource: ctx.resources.serverResource(server.name),
      transport: server.transport,
      auth_required: server.authRequired,
      scopes: server.scopes,
      timeout_ms: server.timeoutMs,
      enabled: server.enabled,
      open_to_all: server.openToAll,
      user_context: server.userContext,
      credential: {
        type: server.credentialKind,
        configured: server.credentialKind !== "none",
        value: server.credentialKind === "none" ? null : "********",
        ...(expiry !== undefined && Number.isFinite(expiry) ? { token_expires_at: expiry } : {}),
      },
      managed_by: server.managedBy,
      pinning_mode: gateway.pinning.mode(server.id),
      allowed_networks: gateway.policy.networks?.list("server", server.id) ?? null,
      users: gateway.policy.grantedUsers(server.id),
      health: health.get(server.id),
      created_at: server.createdAt,
      updated_at: server.updatedAt,
    };
  };

  /** The server as the API shows it (credentials masked), for the admin_change event's before → after. */
  const serverSnapshot = ({ id }: { id: string }) => {
    const server = registry.byId(id);
    return server ? view(server) : undefined;
  };

  /** The shared checks beyond the schema (src/admin/server-input.ts), as a 400 naming the field. */
  const inputProblem = async (input: Partial<ServerInput>): Promise<Response | undefined> => {
    const problem = await serverInputProblem(ctx, gateway, input);
    return problem ? jsonError(400, "invalid_request", `${problem.field}: ${problem.message}`) : undefined;
  };

  const fail = (result: { status: number; field?: string; message: string }) =>
    jsonError(
      result.status,
      result.status === 404 ? "not_found" : result.status === 409 ? "conflict" : "invalid_request",
      result.field ? `${result.field}: ${result.message}` : result.message,
    );

  return new Elysia({ name: "admin-api-servers" })
    .use(serverToolApiRoutes(ctx, gateway))
    .get(
      BASE,
      adminHandler(ctx, () => json({ servers: registry.list().map(view) })),
      { detail: { summary: "List MCP servers with their health (credentials masked)" } },
    )
    .post(
      BASE,
      adminJsonHandler(ctx, createServerSchema, async (admin, body) => {
        const input = toServerInput(body) as ServerInput;
        const problem = await inputProblem(input);
        if (problem) return problem;
        const result = await registry.create(input);
        if (!result.ok) return fail(result);
        if (body.allowed_networks)
          gateway.policy.networks?.set("server", result.server.id, body.allowed_networks);
        if (body.pinning_mode !== undefined) {
          gateway.pinning.setMode(result.server.id, body.pinning_mode);
          // Approved on creation; a backend not reachable yet is approved on first use instead.
          if (body.pinning_mode !== "off")
            await approveCurrentDefinitions(ctx.config, gateway, result.server, admin.id, false);
        }
        ctx.logger.info({ serverId: result.server.id, by: admin.id }, "mcp server created");
        return json(view(result.server), 201);
      }),
      { ...NO_PARSE, detail: { summary: "Register an MCP server" } },
    )
    .get(
      `${BASE}/:id`,
      adminItemHandler(ctx, (id) => registry.byId(id), view, "server"),
      { detail: { summary: "Read an MCP server (credentials masked)" } },
    )
    .patch(
      `${BASE}/:id`,
      adminJsonHandler(
        ctx,
        patchServerSchema,
        async (admin, body, { id }: IdParams) => {
          const input = toServerInput(body);
          const problem = await inputProblem(input);
          if (problem) return problem;
          const result = await registry.update(id, input);
          if (!result.ok) return fail(result);
          if (body.allowed_networks !== undefined)
            gateway.policy.networks?.set("server", id, body.allowed_networks ?? undefined);
          if (body.pinning_mode !== undefined) gateway.pinning.setMode(id, body.pinning_mode);
          ctx.logger.info({ serverId: id, by: admin.id }, "mcp server updated");
          return json(view(result.server));
        },
        { snapshot: serverSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Change an MCP server (config-file servers are read-only)" } },
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(
        ctx,
        (admin, { id }: IdParams) => {
          const result = registry.remove(id);
          if (!result.ok) return fail(result);
          ctx.logger.info({ serverId: id, by: admin.id }, "mcp server deleted");
          return noContent();
        },
        { snapshot: serverSnapshot },
      ),
      { ...NO_PARSE, detail: { summary: "Delete an MCP server" } },
    )
    .put(
      `${BASE}/:id/users/:userId`,
      adminHandler(ctx, (_admin, { id, userId }: UserParams) => {
        if (!registry.byId(id)) return notFound("server");
        if (!ctx.users.principal(userId)) return notFound("user");
        gateway.policy.grantUser(id, userId);
        return json({ server_id: id, user_id: userId });
      }),
      { ...NO_PARSE, detail: { summary: "Let a user use a server" } },
    )
    .delete(
      `${BASE}/:id/users/:userId`,
      adminHandler(ctx, (_admin, { id, userId }: UserParams) => {
        if (!registry.byId(id)) return notFound("server");
        gateway.policy.revokeUser(id, userId);
        return noContent();
      }),
      { ...NO_PARSE, detail: { summary: "Take a user's use of a server away" } },
    );
  // POST …/:id/refresh-token is in ./backend-token-routes.ts (with the backend-tokens page's data).
}
