import { Elysia } from "elysia";
import { activityApiRoutes } from "./admin/api/activity-routes.ts";
import { auditApiRoutes } from "./admin/api/audit-routes.ts";
import { grantApiRoutes } from "./admin/api/grant-routes.ts";
import { groupApiRoutes } from "./admin/api/group-routes.ts";
import { identityProviderApiRoutes } from "./admin/api/identity-provider-routes.ts";
import { logApiRoutes } from "./admin/api/log-routes.ts";
import { openApiRoutes } from "./admin/api/openapi-routes.ts";
import { personalTokenApiRoutes } from "./admin/api/personal-token-routes.ts";
import { securityLogApiRoutes } from "./admin/api/security-log-routes.ts";
import { serverApiRoutes } from "./admin/api/server-routes.ts";
import { settingsApiRoutes } from "./admin/api/settings-routes.ts";
import { userApiRoutes } from "./admin/api/user-routes.ts";
import { adminApiTestPage } from "./admin/pages/api-test.ts";
import { adminAuditPages } from "./admin/pages/audit.ts";
import { adminBackendTokenPages } from "./admin/pages/backend-tokens.ts";
import { adminClientPages } from "./admin/pages/clients-routes.ts";
import { logsPageRoutes } from "./admin/pages/logs-page.ts";
import { adminSecurityPages } from "./admin/pages/security-routes.ts";
import { adminServerPages } from "./admin/pages/servers.ts";
import { adminServerEditPages } from "./admin/pages/servers-edit.ts";
import { adminServerGrantPages } from "./admin/pages/servers-grants.ts";
import { adminUserPages } from "./admin/pages/users-routes.ts";
import { adminRoutes } from "./admin/routes.ts";
import { type ActivityModule, createActivityModule } from "./audit/activity/module.ts";
import { metricsRoutes } from "./audit/metrics/routes.ts";
import type { AppContext } from "./context.ts";
import { createGateway, type Gateway } from "./gateway/module.ts";
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
export function createApp(ctx: AppContext): App {
  const gateway = createGateway(ctx);
  const activity = createActivityModule(ctx, gateway.sessions, {
    aggregateSessions: () => gateway.aggregate.sessionCount(),
    sseStreams: () => gateway.sseStreams.count,
  });
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
    .use(adminApiTestPage(ctx, gateway))
    .use(adminServerEditPages(ctx, gateway))
    .use(adminServerGrantPages(ctx, gateway))
    .use(adminBackendTokenPages(ctx, gateway))
    .use(adminClientPages(ctx, oauth))
    .use(adminSecurityPages(ctx))
    .use(logsPageRoutes(ctx))
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
    .use(settingsApiRoutes(ctx))
    .use(logApiRoutes(ctx))
    .use(activityApiRoutes(ctx, activity))
    .use(openApiRoutes(ctx))
    .use(metricsRoutes(ctx, activity.metrics))
    .use(gatewayRoutes(gateway)) as unknown as App;
}

/**
 * The composed app as the rest of the gateway sees it (its handlers, routes and the two services
 * it carries). Not `ReturnType<typeof createApp>`: the type Elysia infers for the whole chain of
 * plugins is too deep for tsc to instantiate.
 */
export type App = Elysia<
  "",
  {
    decorator: { gateway: Gateway; activity: ActivityModule };
    store: Record<string, never>;
    derive: Record<string, never>;
    resolve: Record<string, never>;
  }
>;
