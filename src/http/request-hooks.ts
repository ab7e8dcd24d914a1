import type { Logger } from "../logger.ts";
import { jsonError } from "./errors.ts";
import { pathOf } from "./url-parts.ts";

/**
 * What every response gets, whichever way it was routed (the Elysia app or a route served
 * straight from Bun.serve): baseline security headers, the declared body-size limit, errors
 * mapped to JSON, and one log line per request. Kept allocation-free when the log level is off.
 */

/** Set on every response unless the handler already set that header. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
];

const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** A Content-Length that is not a plain decimal number, or larger than `max`. */
export function declaredTooLarge(declared: string | null, max: number): boolean {
  if (declared === null) return false;
  if (declared.length === 0) return true;
  for (let i = 0; i < declared.length; i++) {
    const c = declared.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return true;
  }
  return Number(declared) > max;
}

export function bodyTooLarge(max: number): Response {
  return jsonError(413, "invalid_request", `request body is larger than ${max} bytes`);
}

/** The request log line and the mapping of unexpected errors, shared by both routing paths. */
export class RequestLog {
  constructor(private readonly logger: Logger) {}

  /** A start time when the request line will be written, else undefined (nothing to measure). */
  start(): number | undefined {
    return this.logger.isLevelEnabled("info") ? performance.now() : undefined;
  }

  write(request: Request, status: number, start: number | undefined): void {
    if (!this.logger.isLevelEnabled("info")) return;
    this.logger.info(
      {
        method: request.method,
        path: pathOf(request.url),
        status,
        duration_ms: start === undefined ? undefined : Math.round((performance.now() - start) * 100) / 100,
      },
      "request",
    );
  }

  /** A 500 with a JSON body for a handler that threw; the error goes to the log, never the client. */
  failure(request: Request, error: unknown): Response {
    this.logger.error(
      { err: error, method: request.method, path: pathOf(request.url) },
      "unhandled error while serving a request",
    );
    return jsonError(500, "server_error", "the gateway failed to handle this request");
  }
}

/**
 * Wraps a handler served outside the Elysia app with the same behaviour as the `http` plugin:
 * 413 on a declared oversized body, errors → 500 JSON, security headers, one log line.
 */
export function withRequestHooks<R extends Request>(
  log: RequestLog,
  maxBodyBytes: number,
  handler: (request: R) => Response | Promise<Response>,
): (request: R) => Promise<Response> {
  return async (request) => {
    const start = log.start();
    let response: Response;
    if (declaredTooLarge(request.headers.get("content-length"), maxBodyBytes)) {
      response = bodyTooLarge(maxBodyBytes);
    } else {
      try {
        response = await handler(request);
      } catch (error) {
        response = log.failure(request, error);
      }
    }
    const headers = response.headers;
    for (const [name, value] of SECURITY_HEADERS) {
      if (!headers.has(name)) headers.set(name, value);
    }
    log.write(request, response.status, start);
    return response;
  };
}
