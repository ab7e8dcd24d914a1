import type { Server } from "bun";
import type { App } from "../app.ts";
import type { AppContext } from "../context.ts";
import { gatewayServeRoutes } from "../gateway/routes.ts";
import { BodyWatch } from "./body-watch.ts";
import { type RequestHooks, RequestLog, setHeaders, withRequestHooks } from "./request-hooks.ts";
import { securityHeaders } from "./security-headers.ts";

/**
 * How a listening gateway dispatches: the MCP proxy routes straight from Bun.serve `routes` (the
 * hot path, without Elysia's per-request routing, context and response re-wrapping), everything
 * else through the Elysia app. `start`, the tests' listening gateway and the benchmark all use this,
 * so they run the same dispatch; `app.handle` still reaches the same proxy through Elysia.
 * Both paths run under one body deadline and one cap on unfinished bodies (body-watch.ts).
 */
export function serveHandlers(app: App, ctx: AppContext) {
  const { config } = ctx;
  const log = new RequestLog(ctx.logger);
  const bodyWatch = new BodyWatch({
    timeoutMs: config.httpBodyTimeoutMs,
    maxIncomplete: config.httpIncompleteRequestsMax,
    maxIncompletePerIp: config.httpIncompleteRequestsPerIp,
    trustedProxies: ctx.rateLimits.trustedProxies,
  });
  ctx.onClose(() => bodyWatch.close());
  ctx.rateLimits.listenOn(() => app.server);
  const hooks: RequestHooks = {
    log,
    maxBodyBytes: config.maxBodyBytes,
    headers: securityHeaders(config.publicUrl, config.hstsMaxAgeSeconds),
    bodyWatch,
    server: () => app.server,
  };
  const fetch = (request: Request) => {
    const start = log.start();
    // The app's own plugin heads and logs what it answers; the watch's 408 and 503 are not its.
    return bodyWatch.guard(
      request,
      app.server,
      () => app.fetch(request),
      (own) => {
        setHeaders(own, hooks.headers);
        log.write(request, own.status, start);
      },
    );
  };
  const routes = gatewayServeRoutes(
    app.decorator.gateway,
    (handler) => withRequestHooks(hooks, handler),
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
