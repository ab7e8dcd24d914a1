import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { type DescribeReturnTo, loginRoutes } from "./login-routes.ts";
import { setupRoutes } from "./setup-routes.ts";
import { staticRoutes } from "./static-routes.ts";

/** The public browser side: static files, `/`, `/setup`, `/login`, `/logout`. */
export function webRoutes(ctx: AppContext, describeReturnTo?: DescribeReturnTo) {
  return new Elysia({ name: "web-routes" })
    .use(staticRoutes(ctx))
    .use(setupRoutes(ctx))
    .use(loginRoutes(ctx, describeReturnTo));
}
