import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import { json, jsonError } from "../../http/errors.ts";
import { logFilterOf, logQuerySchema, logStreamQuerySchema, parseLogQuery } from "../../logs/query.ts";
import type { LogLine } from "../../logs/ring.ts";
import { adminHandler } from "../guard.ts";
import { withSchemas } from "./openapi-schemas.ts";

/** The JSON of one log line. */
export function logLineView(line: LogLine) {
  return {
    seq: line.seq,
    time: line.time,
    level: line.level,
    msg: line.msg,
    fields: line.fields,
    truncated: line.truncated,
  };
}

/**
 * `GET /admin/api/logs?level=&q=&limit=`: the newest lines of the in-memory ring that pass the
 * filters (level at or above, text in the message or fields), newest first; and
 * `GET /admin/api/logs/stream?level=&q=`: each new line passing them as an SSE `log` event.
 */
export function logApiRoutes(ctx: AppContext) {
  const { ring, streams } = ctx.logs;
  const listQuery = logQuerySchema(ring.capacity);

  const list = adminHandler(ctx, (_admin, _params, request) => {
    const parsed = parseLogQuery(new URL(request.url), listQuery);
    if (!parsed.ok) return jsonError(400, "invalid_request", parsed.message);
    const limit = parsed.value.limit ?? Math.min(ctx.config.adminLogPageLines, ring.capacity);
    const lines = ring.recent(logFilterOf(parsed.value), limit);
    return json({ lines: lines.map(logLineView), limit, kept: ring.size, capacity: ring.capacity });
  });
  const stream = adminHandler(ctx, (_admin, _params, request) => {
    const parsed = parseLogQuery(new URL(request.url), logStreamQuerySchema);
    if (!parsed.ok) return jsonError(400, "invalid_request", parsed.message);
    return streams.respond(request, logFilterOf(parsed.value), logLineView);
  });
  return new Elysia({ name: "admin-api-logs" })
    .get("/admin/api/logs", withSchemas(list, { query: listQuery }), {
      detail: { summary: "The newest application log lines kept in memory, newest first, with filters" },
    })
    .get("/admin/api/logs/stream", withSchemas(stream, { query: logStreamQuerySchema }), {
      detail: {
        summary: "New application log lines as server-sent events, with the same filters",
        responses: {
          "200": {
            description:
              "An event stream: each new log line passing the filters, as a `log` event with JSON data",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
        },
      },
    });
}
