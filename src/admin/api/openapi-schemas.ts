import type { z } from "zod";

/** The zod schemas an admin API handler checks its input with: what the OpenAPI document shows. */
export interface RouteSchemas {
  /** The JSON body. */
  body?: z.ZodType;
  /** The body may be left out, and is read without a Content-Type check (empty reads as `{}`). */
  bodyOptional?: boolean;
  /** The query string, an object schema whose properties are its parameters. */
  query?: z.ZodType;
}

/**
 * The schemas ride on the handler function itself, set where the handler is made (the schema a
 * handler validates with is the one documented, with no list to keep in step). The symbol is a
 * constant key, not state: each app's handlers are new functions, so nothing is shared between apps.
 */
const SCHEMAS = Symbol("admin API route schemas");

type Described = { [SCHEMAS]?: RouteSchemas };

/** Marks `handler` as checking its input with `schemas`; returns the same handler. */
export function withSchemas<Handler extends (...args: never[]) => unknown>(
  handler: Handler,
  schemas: RouteSchemas,
): Handler {
  (handler as Handler & Described)[SCHEMAS] = { ...routeSchemas(handler), ...schemas };
  return handler;
}

/** The schemas a route's handler was marked with; none for an unmarked one. */
export function routeSchemas(handler: unknown): RouteSchemas {
  if (typeof handler !== "function") return {};
  return (handler as Described)[SCHEMAS] ?? {};
}
