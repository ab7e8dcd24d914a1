import type { Server } from "bun";
import type { App } from "../app.ts";
import type { AppContext } from "../context.ts";
import { gatewayServeRoutes } from "../gateway/routes.ts";
import { RequestLog, withRequestHooks } from "./request-hooks.ts";

/**
 * How a listening gateway dispatches: the MCP proxy routes straight from Bun.serve `routes` (the
 * hot path, without Elysia's per-request routing, context and response re-wrapping), everything
 * else through the Elysia app. `start`, the tests' listening gateway and the benchmark all use this,
 * so they run the same dispatch; `app.handle` still reaches the same proxy through Elysia.
 */
export function serveHandlers(app: App, ctx: AppContext) {
  const log = new RequestLog(ctx.logger);
  const fetch = (request: Request) => app.fetch(request);
  const routes = gatewayServeRoutes(
    app.decorator.gateway,
    (handler) => withRequestHooks(log, ctx.config.maxBodyBytes, handler),
    fetch,
    app.routes.map((route) => route.path),
  );
  return { routes, fetch };
}

/** Points an already listening server at the app (the tests and the benchmark learn their port first). */
export function attachApp(server: Server<undefined>, app: App, ctx: AppContext): void {
  server.reload(serveHandlers(app, ctx));
  // Elysia handlers read the server from here (client IP for rate limits).
  app.server = server;
}
