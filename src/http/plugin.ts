import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { jsonError } from "./errors.ts";
import { bodyTooLarge, declaredTooLarge, RequestLog } from "./request-hooks.ts";
import { securityHeaders } from "./security-headers.ts";

/**
 * Cross-cutting HTTP behaviour: one log line per request, baseline security headers, the body
 * size limit, and errors mapped to JSON instead of stack traces. Routes served straight from
 * Bun.serve get the same through `withRequestHooks`.
 */
export function httpPlugin(ctx: AppContext) {
  const started = new WeakMap<Request, number>();
  // onAfterResponse does not see a response produced in onError: its status is kept here.
  const failedWith = new WeakMap<Request, number>();
  const log = new RequestLog(ctx.logger);
  const { maxBodyBytes } = ctx.config;
  const headers = securityHeaders(ctx.config.publicUrl, ctx.config.hstsMaxAgeSeconds);

  return new Elysia({ name: "http" })
    .onRequest(({ request, set }) => {
      const start = log.start();
      if (start !== undefined) started.set(request, start);
      for (const [name, value] of headers) set.headers[name] = value;
      if (declaredTooLarge(request.headers.get("content-length"), maxBodyBytes)) {
        return bodyTooLarge(maxBodyBytes);
      }
    })
    .onError({ as: "global" }, ({ code, error, request }) => {
      const response = errorResponse(code, () => log.failure(request, error));
      failedWith.set(request, response.status);
      return response;
    })
    .onAfterResponse({ as: "global" }, ({ request, set, responseValue }) => {
      const status =
        failedWith.get(request) ??
        (responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200));
      log.write(request, status, started.get(request));
    })
    .as("global");
}

function errorResponse(code: unknown, unexpected: () => Response): Response {
  if (code === "NOT_FOUND") return jsonError(404, "not_found", "no such endpoint");
  if (code === "PARSE") return jsonError(400, "invalid_request", "the request body could not be parsed");
  if (code === "VALIDATION") return jsonError(400, "invalid_request", "the request is not valid");
  if (code === "INVALID_COOKIE_SIGNATURE") return jsonError(400, "invalid_request", "invalid cookie");
  return unexpected();
}
