import { Elysia } from "elysia";
import type { Gateway } from "./module.ts";

const NO_PARSE = { parse: "none" } as const;

/** `/mcp/{server}` and `/{server}/mcp`: thin routes onto the proxy service. */
export function gatewayRoutes(gateway: Gateway) {
  const handle = ({ request, params }: { request: Request; params: { server: string } }) =>
    gateway.proxy.handle(request, params.server);
  const app = new Elysia({ name: "gateway-routes" });
  for (const path of ["/mcp/:server", "/:server/mcp"] as const) {
    app.post(path, handle, NO_PARSE).get(path, handle).delete(path, handle, NO_PARSE).options(path, handle);
  }
  return app;
}
