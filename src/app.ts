import { Elysia } from "elysia";
import { grantApiRoutes } from "./admin/api/grant-routes.ts";
import { groupApiRoutes } from "./admin/api/group-routes.ts";
import { serverApiRoutes } from "./admin/api/server-routes.ts";
import { userApiRoutes } from "./admin/api/user-routes.ts";
import { adminRoutes } from "./admin/routes.ts";
import type { AppContext } from "./context.ts";
import { createGateway } from "./gateway/module.ts";
import { gatewayRoutes } from "./gateway/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { httpPlugin } from "./http/plugin.ts";
import { identityRoutes } from "./identity/routes.ts";
import { describeAuthorization } from "./oauth/authorize.ts";
import { jwksRoutes } from "./oauth/jwks-routes.ts";
import { oauthRoutes } from "./oauth/routes.ts";
import { createOAuthServer } from "./oauth/server.ts";
import { rateLimitApiRoutes } from "./policy/rate-limits/admin-api.ts";
import { webRoutes } from "./web/routes.ts";

/** Composes the feature plugins into one app. Tests call `createApp(ctx).handle(request)`. */
export function createApp(ctx: AppContext) {
  const gateway = createGateway(ctx);
  const oauth = createOAuthServer(ctx);
  return new Elysia({ name: "authmcp-gateway" })
    .decorate("gateway", gateway)
    .use(httpPlugin(ctx))
    .use(healthRoutes(ctx, [() => gateway.health.summary()]))
    .use(jwksRoutes(ctx))
    .use(oauthRoutes(ctx, oauth))
    .use(identityRoutes(ctx))
    .use(webRoutes(ctx, (returnTo) => describeAuthorization(ctx, oauth, returnTo)))
    .use(adminRoutes(ctx, gateway))
    .use(serverApiRoutes(ctx, gateway))
    .use(userApiRoutes(ctx, gateway))
    .use(groupApiRoutes(ctx, gateway))
    .use(grantApiRoutes(ctx, gateway))
    .use(rateLimitApiRoutes(ctx, gateway))
    .use(gatewayRoutes(gateway));
}

export type App = ReturnType<typeof createApp>;
