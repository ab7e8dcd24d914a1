import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { jsonError } from "./errors.ts";

/**
 * Cross-cutting HTTP behaviour: one log line per request, baseline security headers, the body
 * size limit, and errors mapped to JSON instead of stack traces.
 */
export function httpPlugin(ctx: AppContext) {
  const started = new WeakMap<Request, number>();
  const { logger, config } = ctx;

  return new Elysia({ name: "http" })
    .onRequest(({ request, set }) => {
      started.set(request, performance.now());
      set.headers["x-content-type-options"] = "nosniff";
      set.headers["referrer-policy"] = "no-referrer";
      const declared = request.headers.get("content-length");
      if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > config.maxBodyBytes)) {
        return jsonError(413, "invalid_request", `request body is larger than ${config.maxBodyBytes} bytes`);
      }
    })
    .onError({ as: "global" }, ({ code, error, request }) => {
      if (code === "NOT_FOUND") return jsonError(404, "not_found", "no such endpoint");
      if (code === "PARSE") return jsonError(400, "invalid_request", "the request body could not be parsed");
      if (code === "VALIDATION") return jsonError(400, "invalid_request", "the request is not valid");
      if (code === "INVALID_COOKIE_SIGNATURE") return jsonError(400, "invalid_request", "invalid cookie");
      logger.error(
        { err: error, method: request.method, path: new URL(request.url).pathname },
        "unhandled error while serving a request",
      );
      return jsonError(500, "server_error", "the gateway failed to handle this request");
    })
    .onAfterResponse({ as: "global" }, ({ request, set, responseValue }) => {
      const start = started.get(request);
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200);
      logger.info(
        {
          method: request.method,
          path: new URL(request.url).pathname,
          status,
          duration_ms: start === undefined ? undefined : Math.round((performance.now() - start) * 100) / 100,
        },
        "request",
      );
    })
    .as("global");
}
