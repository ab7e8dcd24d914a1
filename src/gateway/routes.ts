import type { BunRequest } from "bun";
import { Elysia } from "elysia";
import type { Gateway } from "./module.ts";

const NO_PARSE = { parse: "none" } as const;
const METHODS = ["POST", "GET", "DELETE", "OPTIONS"] as const;
export const MCP_PROXY_PATHS = ["/mcp/:server", "/:server/mcp"] as const;
type McpPath = (typeof MCP_PROXY_PATHS)[number];
type McpRequest = BunRequest<McpPath>;
type Handler = (request: McpRequest) => Response | Promise<Response>;

/** `/mcp/{server}` and `/{server}/mcp`: thin routes onto the proxy service. */
export function gatewayRoutes(gateway: Gateway) {
  const handle = ({ request, params }: { request: Request; params: { server: string } }) =>
    gateway.proxy.handle(request, params.server);
  const app = new Elysia({ name: "gateway-routes" });
  // The aggregated endpoint: routed through the app, never through the per-server hot path.
  const aggregate = ({ request }: { request: Request }) => gateway.aggregate.endpoint.handle(request);
  app
    .post("/mcp", aggregate, NO_PARSE)
    .get("/mcp", aggregate)
    .delete("/mcp", aggregate, NO_PARSE)
    .options("/mcp", aggregate);
  for (const path of MCP_PROXY_PATHS) {
    app.post(path, handle, NO_PARSE).get(path, handle).delete(path, handle, NO_PARSE).options(path, handle);
  }
  return app;
}

/**
 * The same routes for Bun.serve `routes`, the proxy's hot path without Elysia's routing and
 * context; `hooks` adds what the app's `http` plugin adds. Whatever Elysia would route elsewhere
 * goes to `fallback` (the app) unchanged: HEAD, which Bun sends to a GET route, and names another
 * app route claims (`/static/*` also matches `/:server/mcp` with server "static").
 */
export function gatewayServeRoutes(
  gateway: Gateway,
  hooks: (handler: Handler) => Handler,
  fallback: (request: Request) => Response | Promise<Response>,
  appPaths: readonly string[],
): Record<McpPath, Partial<Record<(typeof METHODS)[number], Handler>>> & {
  "/mcp": Partial<Record<(typeof METHODS)[number], (request: BunRequest<"/mcp">) => Promise<Response>>>;
} {
  const claimed = claimedNames(appPaths);
  const proxy = hooks((request) => gateway.proxy.handle(request, request.params.server));
  const handle: Handler = (request) =>
    request.method === "HEAD" || claimed.has(request.params.server) ? fallback(request) : proxy(request);
  const methods = Object.fromEntries(METHODS.map((method) => [method, handle]));
  // The aggregated endpoint too: Elysia's re-wrapping of a returned Response (a new Response over
  // its body stream) cost a large tools/list page more than building it (bench/README.md).
  const aggregate = hooks((request) => gateway.aggregate.endpoint.handle(request));
  const aggregateMethods = Object.fromEntries(
    METHODS.map((method) => [
      method,
      // The hooks never read route params: the aggregate's request passes for a proxy one.
      async (request: BunRequest<"/mcp">) =>
        request.method === "HEAD" ? fallback(request) : aggregate(request as unknown as McpRequest),
    ]),
  );
  return { "/mcp": aggregateMethods, "/mcp/:server": methods, "/:server/mcp": methods };
}

/** Names x for which another route of the app also matches `/x/mcp` or `/mcp/x`. */
export function claimedNames(appPaths: readonly string[]): Set<string> {
  const claimed = new Set<string>();
  for (const path of appPaths) {
    if ((MCP_PROXY_PATHS as readonly string[]).includes(path)) continue;
    const [first, second, ...rest] = path.split("/").slice(1);
    if (first === undefined || second === undefined || rest.length > 0) continue;
    const firstStatic = !first.startsWith(":") && first !== "*";
    const secondStatic = !second.startsWith(":") && second !== "*";
    if (firstStatic && (!secondStatic || second === "mcp")) claimed.add(first);
    if (first === "mcp" && secondStatic) claimed.add(second);
  }
  return claimed;
}
