import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { json, jsonError } from "../../http/errors.ts";
import { adminHandler, type IdParams, notFound } from "../guard.ts";
import { backendTokenJson, backendTokenState, refreshBackendToken } from "../pages/backend-tokens-service.ts";

const TAGS = ["backend-tokens"];

/**
 * `GET /admin/api/backend-tokens`: every server's backend credential kind and status (never a
 * secret). `POST /admin/api/mcp-servers/{id}/refresh-token`: fetch its client-credentials token
 * now; 200 with the new state, 404, 409 (not refreshable) or 502 (the token endpoint's error).
 */
export function backendTokenApiRoutes(ctx: AppContext, gateway: Gateway) {
  const { registry, backendAuth } = gateway;
  const state = (server: McpServer) =>
    backendTokenJson(backendTokenState(server, backendAuth, ctx.clock.now()));
  /** The token's state before and after, for the admin_change event (no secret in it). */
  const snapshot = ({ id }: IdParams) => {
    const server = registry.byId(id);
    return server ? state(server) : undefined;
  };
  return new Elysia({ name: "admin-api-backend-tokens" })
    .get(
      "/admin/api/backend-tokens",
      adminHandler(ctx, () => json({ servers: registry.list().map(state) })),
      {
        detail: {
          summary: "Every server's backend credential kind and token status (no secret values)",
          tags: TAGS,
        },
      },
    )
    .post(
      "/admin/api/mcp-servers/:id/refresh-token",
      adminHandler(
        ctx,
        async (_admin, { id }: IdParams) => {
          const outcome = await refreshBackendToken(ctx, gateway, id);
          if (outcome.ok) return json({ refreshed: true, ...backendTokenJson(outcome.state) });
          if (outcome.status === 404) return notFound("server");
          return jsonError(outcome.status, outcome.error, outcome.message);
        },
        { snapshot },
      ),
      {
        parse: "none",
        detail: {
          summary:
            "Fetch the server's client-credentials token now: 200 with the new status and expiry, 409 when its credential is not refreshable, 502 with the token endpoint's error",
          tags: TAGS,
        },
      },
    );
}
