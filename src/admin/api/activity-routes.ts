import { Elysia } from "elysia";
import { z } from "zod";
import type { ActivityModule } from "../../audit/activity/module.ts";
import type { ActivityFilter, StoredActivity } from "../../audit/activity/store.ts";
import type { McpActivity } from "../../audit/activity/types.ts";
import type { AppContext } from "../../context.ts";
import { type BodyResult, parseParams, validate } from "../../http/body.ts";
import { json, jsonError } from "../../http/errors.ts";
import { adminHandler } from "../guard.ts";
import { DEFAULT_PAGE_SIZE } from "./list-query.ts";
import { withSchemas } from "./openapi-schemas.ts";

const OUTCOMES = ["ok", "error", "denied", "rate_limited"] as const;

/** An instant: Unix milliseconds, or an ISO 8601 date-time with its offset. */
const instant = z.string().transform((text, issue) => {
  const ms = /^\d{1,15}$/.test(text)
    ? Number(text)
    : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (Number.isNaN(ms)) {
    issue.addIssue({ code: "custom", message: "expected Unix milliseconds or an ISO 8601 date-time" });
    return z.NEVER;
  }
  return ms;
});

const name = z.string().min(1, { error: "must not be empty" }).max(200, { error: "at most 200 characters" });
const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, { error: "expected a whole number" })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `expected a whole number from ${min} to ${max}` });

const filterShape = {
  user: name.optional(),
  server: name.optional(),
  method: name.optional(),
  outcome: z.enum(OUTCOMES, { error: `expected one of ${OUTCOMES.join(", ")}` }).optional(),
  from: instant.optional(),
  to: instant.optional(),
};
const streamQuery = z.strictObject(filterShape);
const listQuery = z.strictObject({
  ...filterShape,
  limit: count(1, 200).optional(),
  offset: count(0, 1_000_000_000).optional(),
});

function readQuery<S extends z.ZodType>(request: Request, schema: S): BodyResult<z.output<S>> {
  const params = parseParams(new URL(request.url).searchParams);
  return params.ok ? validate(schema, params.value) : params;
}

function filterOf(query: z.output<typeof streamQuery>): ActivityFilter {
  return {
    userId: query.user,
    server: query.server,
    method: query.method,
    outcome: query.outcome,
    from: query.from,
    to: query.to,
  };
}

/** The JSON of one row (the list's rows carry their stored id). */
export function activityView(row: McpActivity | StoredActivity) {
  return {
    ...("id" in row ? { id: row.id } : {}),
    at: new Date(row.at).toISOString(),
    user_id: row.userId,
    client_id: row.clientId,
    server: row.server,
    endpoint: row.endpoint,
    session_id: row.sessionId,
    method: row.method,
    target: row.target,
    outcome: row.outcome,
    http_status: row.httpStatus,
    rpc_error_code: row.rpcErrorCode,
    latency_ms: Math.round(row.latencyMs),
    request_bytes: row.requestBytes,
    response_bytes: row.responseBytes,
    ip: row.ip,
  };
}

/**
 * `GET /admin/api/mcp-activity` (stored rows, newest first, filtered, paged as the other lists)
 * and `GET /admin/api/mcp-activity/stream` (SSE: each new row passing the same filters).
 */
export function activityApiRoutes(ctx: AppContext, activity: ActivityModule) {
  const list = adminHandler(ctx, (_admin, _params, request) => {
    const query = readQuery(request, listQuery);
    if (!query.ok) return query.response;
    const queue = activity.queue;
    if (queue === undefined) {
      return jsonError(
        404,
        "not_stored",
        "MCP activity is not stored (MCP_LOG_DB_ENABLED=false); GET /admin/api/mcp-activity/stream shows it live",
      );
    }
    queue.flush(); // what was recorded before this request is listed
    const limit = query.value.limit ?? DEFAULT_PAGE_SIZE;
    const offset = query.value.offset ?? 0;
    const page = activity.store.page(filterOf(query.value), limit, offset);
    return json({ activity: page.rows.map(activityView), total: page.total, limit, offset });
  });
  const stream = adminHandler(ctx, (_admin, _params, request) => {
    const query = readQuery(request, streamQuery);
    if (!query.ok) return query.response;
    return activity.streams.respond(request, filterOf(query.value), activityView);
  });
  return new Elysia({ name: "admin-api-mcp-activity" })
    .get("/admin/api/mcp-activity", withSchemas(list, { query: listQuery }), {
      detail: {
        summary: "Stored MCP activity rows, newest first, with filters and pages",
        responses: {
          "404": {
            description: "not_stored: MCP activity is not stored (MCP_LOG_DB_ENABLED=false)",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        },
      },
    })
    .get("/admin/api/mcp-activity/stream", withSchemas(stream, { query: streamQuery }), {
      detail: {
        summary: "Live MCP activity as server-sent events, with the same filters",
        responses: {
          "200": {
            description: "An event stream: each new activity row passing the filters, as JSON",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
        },
      },
    });
}
