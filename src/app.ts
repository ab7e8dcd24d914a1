import { Elysia } from "elysia";
import { activityApiRoutes } from "./admin/api/activity-routes.ts";
import { auditApiRoutes } from "./admin/api/audit-routes.ts";
import { grantApiRoutes } from "./admin/api/grant-routes.ts";
import { groupApiRoutes } from "./admin/api/group-routes.ts";
import { identityProviderApiRoutes } from "./admin/api/identity-provider-routes.ts";
import { personalTokenApiRoutes } from "./admin/api/personal-token-routes.ts";
import { securityLogApiRoutes } from "./admin/api/security-log-routes.ts";
import { serverApiRoutes } from "./admin/api/server-routes.ts";
import { userApiRoutes } from "./admin/api/user-routes.ts";
import { adminAuditPages } from "./admin/pages/audit.ts";
import { adminClientPages } from "./admin/pages/clients-routes.ts";
import { adminSecurityPages } from "./admin/pages/security-routes.ts";
import { adminServerPages } from "./admin/pages/servers.ts";
import { adminUserPages } from "./admin/pages/users-routes.ts";
import { adminRoutes } from "./admin/routes.ts";
import { createActivityModule } from "./audit/activity/module.ts";
import { metricsRoutes } from "./audit/metrics/routes.ts";
import type { AppContext } from "./context.ts";
import { createGateway } from "./gateway/module.ts";
import { gatewayRoutes } from "./gateway/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { httpPlugin } from "./http/plugin.ts";
import { identityRoutes } from "./identity/routes.ts";
import { UpstreamIdentity } from "./identity/upstream/service.ts";
import { describeAuthorization } from "./oauth/authorize.ts";
import { jwksRoutes } from "./oauth/jwks-routes.ts";
import { oauthRoutes } from "./oauth/routes.ts";
import { createOAuthServer } from "./oauth/server.ts";
import { networkApiRoutes } from "./policy/network-admin-api.ts";
import { rateLimitApiRoutes } from "./policy/rate-limits/admin-api.ts";
import { portalRoutes } from "./portal/routes.ts";
import { webRoutes } from "./web/routes.ts";

/** Composes the feature plugins into one app. Tests call `createApp(ctx).handle(request)`. */
export function createApp(ctx: AppContext) {
  const gateway = createGateway(ctx);
  const activity = createActivityModule(ctx, gateway.sessions);
  const oauth = createOAuthServer(ctx);
  const upstream = new UpstreamIdentity(ctx, gateway.policy, gateway.groups);
  gateway.backendAuth.useUserTokens(upstream.tokens);
  return new Elysia({ name: "authmcp-gateway" })
    .decorate("gateway", gateway)
    .decorate("activity", activity)
    .use(httpPlugin(ctx))
    .use(healthRoutes(ctx, [() => gateway.health.summary()]))
    .use(jwksRoutes(ctx))
    .use(oauthRoutes(ctx, oauth))
    .use(identityRoutes(ctx))
    .use(webRoutes(ctx, (returnTo) => describeAuthorization(ctx, oauth, returnTo), upstream))
    .use(adminRoutes(ctx, gateway, activity))
    .use(adminAuditPages(ctx, gateway))
    .use(adminUserPages(ctx, gateway, oauth))
    .use(adminServerPages(ctx, gateway))
    .use(adminClientPages(ctx, oauth))
    .use(adminSecurityPages(ctx))
    .use(portalRoutes(ctx, gateway, oauth))
    .use(personalTokenApiRoutes(ctx))
    .use(serverApiRoutes(ctx, gateway))
    .use(userApiRoutes(ctx, gateway))
    .use(groupApiRoutes(ctx, gateway))
    .use(identityProviderApiRoutes(ctx, upstream, gateway))
    .use(grantApiRoutes(ctx, gateway))
    .use(rateLimitApiRoutes(ctx, gateway))
    .use(auditApiRoutes(ctx, gateway))
    .use(networkApiRoutes(ctx, gateway))
    .use(securityLogApiRoutes(ctx))
    .use(activityApiRoutes(ctx, activity))
    .use(metricsRoutes(ctx, activity.metrics))
    .use(gatewayRoutes(gateway));
}

export type App = ReturnType<typeof createApp>;
