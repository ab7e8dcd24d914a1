import { Elysia } from "elysia";
import { z } from "zod";
import { adminHandler, adminJsonHandler, type IdParams, notFound } from "../../admin/guard.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json } from "../../http/errors.ts";
import type { OverrideKind } from "./override-store.ts";

const limitBody = z.strictObject({
  max: z.number({ error: "expected a whole number" }).int().min(1).max(100_000_000),
  window_seconds: z.number({ error: "expected a whole number" }).int().min(1).max(86_400),
});

const NO_PARSE = { parse: "none" } as const;
/** A route's one-line summary for the OpenAPI document (src/admin/api/openapi-document.ts). */
const doc = (summary: string) => ({ detail: { summary } });
const noParse = (summary: string) => ({ ...NO_PARSE, ...doc(summary) });

/**
 * `/admin/api/mcp-servers/{id}/rate-limit`, `/admin/api/users/{id}/rate-limit` and
 * `/admin/api/groups/{id}/rate-limit`: GET, PUT `{max, window_seconds}`, DELETE. A server's limit
 * replaces RATE_LIMIT_MCP_* for every user of that server; a group's replaces it (and any
 * server's) for its members on every server, the most generous group's when a user is in several;
 * a user's own replaces all of them. Applies from the next request.
 */
export function rateLimitApiRoutes(ctx: AppContext, gateway: Gateway) {
  const limits = ctx.rateLimits.mcp;
  const exists = (kind: OverrideKind, id: string) =>
    kind === "server"
      ? gateway.registry.byId(id) !== undefined
      : kind === "group"
        ? gateway.groups.byId(id) !== undefined
        : ctx.users.byId(id) !== undefined;
  const view = (kind: OverrideKind, id: string) => {
    const override = limits.override(kind, id);
    const { rateLimitMcpMax: max, rateLimitMcpWindow: window } = ctx.config;
    return override
      ? { rate_limit: { max: override.max, window_seconds: override.windowSeconds }, source: kind }
      : { rate_limit: { max, window_seconds: window }, source: "default" };
  };

  /** 404 "no such {kind}" when the server or user does not exist. */
  const missing = (kind: OverrideKind, id: string) => (exists(kind, id) ? undefined : notFound(kind));

  const read = (kind: OverrideKind) =>
    adminHandler(ctx, (_admin, { id }: IdParams) => missing(kind, id) ?? json(view(kind, id)));
  const write = (kind: OverrideKind) =>
    adminJsonHandler(
      ctx,
      limitBody,
      (admin, body, { id }: IdParams) => {
        limits.setOverride(kind, id, { max: body.max, windowSeconds: body.window_seconds });
        ctx.logger.info({ [kind]: id, by: admin.id, ...body }, "MCP rate limit override set");
        return json(view(kind, id));
      },
      { before: ({ id }) => missing(kind, id) },
    );
  const remove = (kind: OverrideKind) =>
    adminHandler(ctx, (admin, { id }: IdParams) => {
      const refused = missing(kind, id);
      if (refused) return refused;
      limits.setOverride(kind, id, undefined);
      ctx.logger.info({ [kind]: id, by: admin.id }, "MCP rate limit override removed");
      return json(view(kind, id));
    });

  return new Elysia({ name: "admin-api-rate-limits" })
    .get(
      "/admin/api/mcp-servers/:id/rate-limit",
      read("server"),
      doc("A server's own MCP rate limit, or the default in force"),
    )
    .put(
      "/admin/api/mcp-servers/:id/rate-limit",
      write("server"),
      noParse("Set a server's own MCP rate limit"),
    )
    .delete(
      "/admin/api/mcp-servers/:id/rate-limit",
      remove("server"),
      noParse("Remove a server's own MCP rate limit"),
    )
    .get(
      "/admin/api/users/:id/rate-limit",
      read("user"),
      doc("A user's own MCP rate limit, or the default in force"),
    )
    .put("/admin/api/users/:id/rate-limit", write("user"), noParse("Set a user's own MCP rate limit"))
    .delete("/admin/api/users/:id/rate-limit", remove("user"), noParse("Remove a user's own MCP rate limit"))
    .get(
      "/admin/api/groups/:id/rate-limit",
      read("group"),
      doc("A group's own MCP rate limit, or the default in force"),
    )
    .put("/admin/api/groups/:id/rate-limit", write("group"), noParse("Set a group's own MCP rate limit"))
    .delete(
      "/admin/api/groups/:id/rate-limit",
      remove("group"),
      noParse("Remove a group's own MCP rate limit"),
    );
}
