import { Elysia } from "elysia";
import type { AppContext } from "./context.ts";
import { healthRoutes } from "./health/routes.ts";
import { httpPlugin } from "./http/plugin.ts";
import { identityRoutes } from "./identity/routes.ts";
import { jwksRoutes } from "./oauth/jwks-routes.ts";

/** Composes the feature plugins into one app. Tests call `createApp(ctx).handle(request)`. */
export function createApp(ctx: AppContext) {
  return new Elysia({ name: "authmcp-gateway" })
    .use(httpPlugin(ctx))
    .use(healthRoutes(ctx))
    .use(jwksRoutes(ctx))
    .use(identityRoutes(ctx));
}

export type App = ReturnType<typeof createApp>;
