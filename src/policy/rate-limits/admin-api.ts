import { Elysia } from "elysia";
import { z } from "zod";
import { requireAdmin } from "../../admin/guard.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { readJson } from "../../http/body.ts";
import { json, jsonError } from "../../http/errors.ts";
import type { OverrideKind } from "./override-store.ts";

const limitBody = z.strictObject({
  max: z.number({ error: "expected a whole number" }).int().min(1).max(100_000_000),
  window_seconds: z.number({ error: "expected a whole number" }).int().min(1).max(86_400),
});

const NO_PARSE = { parse: "none" } as const;

/**
 * `/admin/api/mcp-servers/{id}/rate-limit` and `/admin/api/users/{id}/rate-limit`: GET, PUT
 * `{max, window_seconds}`, DELETE. A server's limit replaces RATE_LIMIT_MCP_* for every user of
 * that server; a user's replaces it (and any server's) for that user on every server. Applies from
 * the next request.
 */
export function rateLimitApiRoutes(ctx: AppContext, gateway: Gateway) {
  const limits = ctx.rateLimits.mcp;
  const exists = (kind: OverrideKind, id: string) =>
    kind === "server" ? gateway.registry.byId(id) !== undefined : ctx.users.byId(id) !== undefined;
  const view = (kind: OverrideKind, id: string) => {
    const override = limits.override(kind, id);
    const { rateLimitMcpMax: max, rateLimitMcpWindow: window } = ctx.config;
    return override
      ? { rate_limit: { max: override.max, window_seconds: override.windowSeconds }, source: kind }
      : { rate_limit: { max, window_seconds: window }, source: "default" };
  };

  type Call = { request: Request; params: { id: string } };
  const notFound = (kind: OverrideKind) => jsonError(404, "not_found", `no such ${kind}`);

  const read =
    (kind: OverrideKind) =>
    async ({ request, params }: Call) => {
      const admin = await requireAdmin(ctx, request);
      if (admin instanceof Response) return admin;
      return exists(kind, params.id) ? json(view(kind, params.id)) : notFound(kind);
    };
  const write =
    (kind: OverrideKind) =>
    async ({ request, params }: Call) => {
      const admin = await requireAdmin(ctx, request);
      if (admin instanceof Response) return admin;
      if (!exists(kind, params.id)) return notFound(kind);
      const body = await readJson(request, limitBody, ctx.config.maxBodyBytes);
      if (!body.ok) return body.response;
      limits.setOverride(kind, params.id, { max: body.value.max, windowSeconds: body.value.window_seconds });
      ctx.logger.info({ [kind]: params.id, by: admin.id, ...body.value }, "MCP rate limit override set");
      return json(view(kind, params.id));
    };
  const remove =
    (kind: OverrideKind) =>
    async ({ request, params }: Call) => {
      const admin = await requireAdmin(ctx, request);
      if (admin instanceof Response) return admin;
      if (!exists(kind, params.id)) return notFound(kind);
      limits.setOverride(kind, params.id, undefined);
      ctx.logger.info({ [kind]: params.id, by: admin.id }, "MCP rate limit override removed");
      return json(view(kind, params.id));
    };

  return new Elysia({ name: "admin-api-rate-limits" })
    .get("/admin/api/mcp-servers/:id/rate-limit", read("server"))
    .put("/admin/api/mcp-servers/:id/rate-limit", write("server"), NO_PARSE)
    .delete("/admin/api/mcp-servers/:id/rate-limit", remove("server"), NO_PARSE)
    .get("/admin/api/users/:id/rate-limit", read("user"))
    .put("/admin/api/users/:id/rate-limit", write("user"), NO_PARSE)
    .delete("/admin/api/users/:id/rate-limit", remove("user"), NO_PARSE);
}
