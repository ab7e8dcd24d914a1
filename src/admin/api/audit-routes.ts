import { Elysia } from "elysia";
import { z } from "zod";
import { approveCurrentDefinitions, reviewCurrentDefinitions } from "../../audit/pinning/approve.ts";
import { PINNING_MODES } from "../../audit/pinning/definitions.ts";
import { auditServer } from "../../audit/scan/audit.ts";
import { auditOptions } from "../../audit/scan/options.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { backendUrlShapeProblem } from "../../gateway/url-guard.ts";
import { readText } from "../../http/body.ts";
import { json, jsonError } from "../../http/errors.ts";
import { adminHandler, adminJsonHandler, type IdParams, notFound } from "../guard.ts";
import { prepareServerAudit } from "../pages/audit-run.ts";
import { withSchemas } from "./openapi-schemas.ts";

const NO_PARSE = { parse: "none" } as const;

const auditRequestSchema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .superRefine((value, ctx) => {
      const problem = backendUrlShapeProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  token: z
    .string()
    .min(1)
    .max(8192)
    .regex(/^[^\r\n\0]*$/, { error: "a token has no line breaks" })
    .optional(),
});

const pinningSchema = z.strictObject({ mode: z.enum(PINNING_MODES) });
const approveSchema = z.strictObject({ accept_critical: z.boolean().optional() });

/**
 * The MCP security audit for administrators: any URL (with an optional token), or a registered
 * server with the gateway's own backend credential. The URL, and every URL its metadata points
 * to, go through the backend address guard (MCP_BACKEND_ALLOWED_NETWORKS) like backend URLs.
 */
export function auditApiRoutes(ctx: AppContext, gateway: Gateway) {
  const options = (extra: Parameters<typeof auditOptions>[2] = {}) =>
    auditOptions(ctx.config, gateway.addressGuard, extra);

  return new Elysia({ name: "admin-api-audit" })
    .post(
      "/admin/api/audit",
      adminJsonHandler(ctx, auditRequestSchema, async (admin, body) => {
        const problem = await gateway.addressGuard.problemOnSave(body.url);
        if (problem) return jsonError(400, "invalid_request", `url: ${problem}`);
        ctx.logger.info({ url: body.url, by: admin.id }, "mcp security audit run");
        // Tools approved on other registered servers are what this one's names could shadow.
        const sameUrl = (serverId: string) => gateway.registry.byId(serverId)?.url === body.url;
        const otherToolNames = gateway.pinning.otherServersToolNames(sameUrl);
        return json(await auditServer(body.url, options({ token: body.token, otherToolNames })));
      }),
      { ...NO_PARSE, detail: { summary: "Run the MCP security audit on a URL (with an optional token)" } },
    )
    .post(
      "/admin/api/mcp-servers/:id/audit",
      adminHandler(ctx, async (admin, { id }: IdParams) => {
        const server = gateway.registry.byId(id);
        if (!server) return notFound("server");
        const prepared = await prepareServerAudit(ctx, gateway, server);
        if (!prepared.ok)
          return jsonError(prepared.status, prepared.code ?? "invalid_request", prepared.error);
        ctx.logger.info({ serverId: id, by: admin.id }, "mcp security audit run");
        return json(await prepared.run(() => {}));
      }),
      {
        ...NO_PARSE,
        detail: { summary: "Run the MCP security audit on a registered server, with its backend credential" },
      },
    )
    .get(
      "/admin/api/mcp-servers/:id/pinning",
      adminHandler(ctx, (_admin, { id }: IdParams) => {
        if (!gateway.registry.byId(id)) return notFound("server");
        return json(gateway.pinning.view(id));
      }),
      {
        detail: {
          summary: "A server's tool-definition pinning: mode, approved definitions, pending differences",
        },
      },
    )
    .put(
      "/admin/api/mcp-servers/:id/pinning",
      adminJsonHandler(
        ctx,
        pinningSchema,
        (admin, body, { id }: IdParams) => {
          gateway.pinning.setMode(id, body.mode);
          ctx.logger.info({ serverId: id, mode: body.mode, by: admin.id }, "tool pinning mode set");
          return json(gateway.pinning.view(id));
        },
        { before: ({ id }) => (gateway.registry.byId(id) ? undefined : notFound("server")) },
      ),
      { ...NO_PARSE, detail: { summary: "Set a server's tool-definition pinning mode" } },
    )
    .post(
      "/admin/api/mcp-servers/:id/check-tools",
      adminHandler(ctx, async (_admin, { id }: IdParams) => {
        const server = gateway.registry.byId(id);
        if (!server) return notFound("server");
        if (server.transport !== "streamable-http") {
          return jsonError(
            400,
            "invalid_request",
            "transport: only Streamable HTTP servers can be asked now",
          );
        }
        // Compared as traffic is (changes stored and reported), without approving anything.
        const error = await reviewCurrentDefinitions(ctx.config, gateway, server, false);
        if (error !== undefined) {
          return jsonError(
            502,
            "backend_unavailable",
            `the server's definitions could not be fetched: ${error}`,
          );
        }
        return json(gateway.pinning.view(server.id));
      }),
      {
        ...NO_PARSE,
        detail: {
          summary:
            "Compare a server's current tool definitions with the approved ones now (approves nothing)",
        },
      },
    )
    .post(
      "/admin/api/mcp-servers/:id/approve-tools",
      withSchemas(
        adminHandler(ctx, async (admin, { id }: IdParams, request) => {
          const server = gateway.registry.byId(id);
          if (!server) return notFound("server");
          const text = await readText(request, ctx.config.maxBodyBytes);
          if (!text.ok) return text.response;
          let body: z.output<typeof approveSchema>;
          try {
            const parsed = approveSchema.safeParse(text.value.trim() === "" ? {} : JSON.parse(text.value));
            if (!parsed.success)
              return jsonError(400, "invalid_request", parsed.error.issues[0]?.message ?? "invalid body");
            body = parsed.data;
          } catch {
            return jsonError(400, "invalid_request", "expected a JSON body");
          }
          const approval = await approveCurrentDefinitions(
            ctx.config,
            gateway,
            server,
            admin.id,
            body.accept_critical === true,
          );
          if (!approval.ok) {
            return jsonError(
              502,
              "backend_unavailable",
              `the server's definitions could not be fetched: ${approval.error}`,
            );
          }
          const result = approval.result;
          ctx.logger.info(
            {
              serverId: id,
              by: admin.id,
              approved: result.approved.length,
              withheld: result.withheld.length,
            },
            "tool definitions approved",
          );
          return json({ ...result, pinning: gateway.pinning.view(server.id) });
        }),
        { body: approveSchema, bodyOptional: true },
      ),
      { ...NO_PARSE, detail: { summary: "Approve a server's current tool definitions" } },
    );
}
