import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { upstreamPortalRoutes } from "../identity/upstream/portal-routes.ts";
import { upstreamLoginRoutes } from "../identity/upstream/routes.ts";
import type { UpstreamIdentity } from "../identity/upstream/service.ts";
import { type DescribeReturnTo, loginRoutes } from "./login-routes.ts";
import { setupRoutes } from "./setup-routes.ts";
import { staticRoutes } from "./static-routes.ts";

/**
 * The public browser side: static files, `/`, `/setup`, `/login`, `/logout`, and sign-in through
 * upstream identity providers (`/login/upstream/…`) when `upstream` is given.
 */
export function webRoutes(ctx: AppContext, describeReturnTo?: DescribeReturnTo, upstream?: UpstreamIdentity) {
  const app = new Elysia({ name: "web-routes" })
    .use(staticRoutes(ctx))
    .use(setupRoutes(ctx))
    .use(loginRoutes(ctx, describeReturnTo, () => upstream?.enabled() ?? []));
  return upstream
    ? app.use(upstreamLoginRoutes(ctx, upstream)).use(upstreamPortalRoutes(ctx, upstream))
    : app;
}
