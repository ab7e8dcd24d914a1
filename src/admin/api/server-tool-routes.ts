import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import { adminHandler, adminJsonHandler, type IdParams, notFound } from "../guard.ts";
import { callToolAsAdmin } from "../pages/api-test-call.ts";
import { discoverServer } from "../pages/servers-discovery.ts";
import { testServerConnection } from "../pages/servers-test.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/mcp-servers/:id";

/** Same bounds as the API test page's form: a tool name as MCP allows it, arguments an object. */
const callSchema = z.strictObject({
  tool: z.string().min(1).max(256),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

/**
 * What the admin pages do with a server's backend, in the JSON API: "Test connection"
 * (initialize + tools/list), the discovered tools, prompts and resources, and the API test page's
 * call of a tool as the calling admin through `/mcp/{server}` (src/admin/pages/api-test-call.ts).
 * None of them changes the gateway; the call reaches the backend as any client's does.
 */
export function serverToolApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { registry } = gateway;
  const serverMissing = ({ id }: IdParams) => (registry.byId(id) ? undefined : notFound("server"));
  // The admin_change event names the server, not the backend's answer (which may be large).
  const snapshot = ({ id }: IdParams) => ({ server_id: id });

  return new Elysia({ name: "admin-api-server-tools" })
    .post(
      `${BASE}/test`,
      adminHandler(
        ctx,
        async (admin, { id }: IdParams) => {
          const server = registry.byId(id);
          if (!server) return notFound("server");
          const test = await testServerConnection(gateway, ctx.logger, server, admin.id);
          ctx.logger.info({ server: server.name, ok: test.ok, by: admin.id }, "admin connection test");
          return json(
            test.ok
              ? { ok: true, tools: test.tools, more: test.more, latency_ms: test.latencyMs }
              : { ok: false, error: test.error, latency_ms: test.latencyMs },
          );
        },
        { snapshot },
      ),
      {
        ...NO_PARSE,
        detail: {
          summary: "Test a server's connection: initialize and tools/list through the gateway's own code",
        },
      },
    )
    .get(
      `${BASE}/discovered`,
      adminHandler(ctx, async (admin, { id }: IdParams) => {
        const server = registry.byId(id);
        if (!server) return notFound("server");
        const found = await discoverServer(gateway, ctx.logger, server, admin.id);
        if (!found.ok) return jsonError(502, "backend_unavailable", found.error);
        return json({
          tools: found.tools,
          prompts: found.prompts,
          resources: found.resources,
          more_resources: found.moreResources,
        });
      }),
      { detail: { summary: "The tools, prompts and resources a server offers (its first pages)" } },
    )
    .post(
      `${BASE}/call`,
      adminJsonHandler(
        ctx,
        callSchema,
        async (admin, body, { id }: IdParams) => {
          const server = registry.byId(id) as NonNullable<ReturnType<typeof registry.byId>>;
          const call = await callToolAsAdmin(
            ctx,
            (request, serverName) => gateway.proxy.handle(request, serverName),
            server,
            admin.id,
            { tool: body.tool, arguments: body.arguments ?? {} },
          );
          ctx.logger.info(
            { server: server.name, tool: body.tool, by: admin.id, outcome: call.outcome.kind },
            "admin API test call",
          );
          return json({ exchanges: call.exchanges, outcome: call.outcome, latency_ms: call.latencyMs });
        },
        { before: serverMissing, snapshot },
      ),
      {
        ...NO_PARSE,
        detail: {
          summary:
            "Call a tool as yourself through /mcp/{server} (as the API test page does): the raw JSON-RPC requests and answers",
        },
      },
    );
}
