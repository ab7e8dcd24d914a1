import type { Logger } from "../logger.ts";
import { bodyReadFailureStatus } from "./body-errors.ts";
import { BodyDeadlineError, type BodyWatch } from "./body-watch.ts";
import { jsonError } from "./errors.ts";
import type { HeaderPair } from "./security-headers.ts";
import { pathOf } from "./url-parts.ts";

/**
 * What every response gets, whichever way it was routed (the Elysia app or a route served
 * straight from Bun.serve): baseline security headers, the declared body-size limit, errors
 * mapped to JSON, and one log line per request. Kept allocation-free when the log level is off.
 */

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

  /**
   * The answer for a handler that threw: a body the client failed to send (it went away, or Bun
   * refused it as too large and answered 413 itself) is logged as what the client got, at debug
   * level; anything else is a bug: a 500 with a JSON body, the error in the log, never to the client.
   */
  failure(request: Request, error: unknown): Response {
    if (error instanceof BodyDeadlineError) {
      this.logger.debug(
        { method: request.method, path: pathOf(request.url), status: 408 },
        "request body did not arrive in time",
      );
      return error.response;
    }
    const status = bodyReadFailureStatus(error, request);
    if (status !== undefined) {
      this.logger.debug(
        { method: request.method, path: pathOf(request.url), status },
        status === 413 ? "request body larger than the server accepts" : "client closed the connection",
      );
      return status === 413
        ? jsonError(413, "invalid_request", "request body is too large")
        : new Response(null, { status });
    }
    this.logger.error(
      { err: error, method: request.method, path: pathOf(request.url) },
      "unhandled error while serving a request",
    );
    return jsonError(500, "server_error", "the gateway failed to handle this request");
  }
}

/** What `withRequestHooks` applies, built once per served app. */
export interface RequestHooks {
  log: RequestLog;
  maxBodyBytes: number;
  /** Set on every response unless the handler already set that header (see security-headers.ts). */
  headers: readonly HeaderPair[];
  /** Body deadline and caps of a listening server; absent when requests are handled in-process. */
  bodyWatch?: BodyWatch;
  /** The listening server, for the client address the body watch counts per IP. */
  server?: () => { requestIP(request: Request): { address: string } | null } | null | undefined;
}

/**
 * Wraps a handler served outside the Elysia app with the same behaviour as the `http` plugin:
 * 413 on a declared oversized body, errors → 500 JSON, security headers, one log line; and, when
 * served, the body deadline and caps. The handler must read request bodies through body.ts (the
 * deadline fails the read; `BodyWatch.guard` is for handlers that may not).
 */
export function withRequestHooks<R extends Request>(
  hooks: RequestHooks,
  handler: (request: R) => Response | Promise<Response>,
): (request: R) => Promise<Response> {
  const { log, maxBodyBytes, bodyWatch } = hooks;
  // One async step per request: the body watch's bookkeeping is synchronous (the deadline ends the
  // body read itself, see body-watch.ts), so nothing is raced or wrapped here.
  return async (request) => {
    const start = log.start();
    let response: Response;
    if (declaredTooLarge(request.headers.get("content-length"), maxBodyBytes)) {
      response = bodyTooLarge(maxBodyBytes);
    } else {
      const refused = bodyWatch?.admit(request, hooks.server?.());
      if (refused !== undefined) {
        response = refused;
      } else {
        try {
          response = await handler(request);
        } catch (error) {
          response = log.failure(request, error);
        }
        bodyWatch?.settle(request, response);
      }
    }
    setHeaders(response, hooks.headers);
    log.write(request, response.status, start);
    return response;
  };
}

/** Sets each header the response does not have yet, and those marked `overwrite` in any case. */
export function setHeaders(response: Response, pairs: readonly HeaderPair[]): void {
  const headers = response.headers;
  for (const [name, value, overwrite] of pairs) {
    if (overwrite || !headers.has(name)) headers.set(name, value);
  }
}
