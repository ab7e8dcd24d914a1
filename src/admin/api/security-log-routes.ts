import { Elysia } from "elysia";
import { z } from "zod";
import type { SecurityEventFilter, StoredSecurityEvent } from "../../audit/security-events/store.ts";
import {
  SECURITY_EVENT_TYPES,
  SECURITY_SEVERITIES,
  type SecuritySeverity,
} from "../../audit/security-events/types.ts";
import type { AppContext } from "../../context.ts";
import { parseIp } from "../../gateway/ip-networks.ts";
import { parseParams, validate } from "../../http/body.ts";
import { json, jsonError } from "../../http/errors.ts";
import { adminHandler } from "../guard.ts";
import { DEFAULT_PAGE_SIZE } from "./list-query.ts";
import { withSchemas } from "./openapi-schemas.ts";

const BASE = "/admin/api/security-logs";

const count = (max: number, min: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, { error: "expected a whole number" })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `expected a whole number from ${min} to ${max}` });

/** A comma-separated list of values of `allowed`, each checked: an unknown one is named in the 400. */
const listOf = <T extends string>(allowed: readonly T[], what: string) =>
  z.string().transform((text, ctx) => {
    const values = [...new Set(text.split(",").map((v) => v.trim()))].filter(Boolean);
    const unknown = values.find((v) => !(allowed as readonly string[]).includes(v));
    if (values.length === 0 || unknown !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${unknown === undefined ? "empty" : `unknown ${what} ${JSON.stringify(unknown.slice(0, 64))}`}; expected one or more (comma-separated) of ${allowed.join(", ")}`,
      });
      return z.NEVER;
    }
    return values as T[];
  });

/** Unix milliseconds, or an ISO 8601 date-time with a time zone (`2026-01-31T12:00:00Z`). */
const instant = z.string().transform((text, ctx) => {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const ms = iso ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: "custom",
      message:
        "expected Unix milliseconds or an ISO 8601 date-time with a time zone, like 2026-01-31T12:00:00Z",
    });
    return z.NEVER;
  }
  return ms;
});

const text = (max: number) =>
  z
    .string()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `at most ${max} characters` });

const querySchema = z
  .strictObject({
    type: listOf(SECURITY_EVENT_TYPES, "type").optional(),
    severity: listOf(SECURITY_SEVERITIES, "severity").optional(),
    min_severity: z
      .enum(SECURITY_SEVERITIES, { error: `expected one of ${SECURITY_SEVERITIES.join(", ")}` })
      .optional(),
    user: text(200).optional(),
    client: text(2048).optional(),
    ip: text(64)
      .refine((v) => parseIp(v) !== undefined, { error: "expected an IPv4 or IPv6 address" })
      .optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: count(200, 1).optional(),
    offset: count(1_000_000_000, 0).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    error: "from must not be after to",
    path: ["from"],
  });

type Query = z.output<typeof querySchema>;
const PARAMETERS = [
  "type",
  "severity",
  "min_severity",
  "user",
  "client",
  "ip",
  "from",
  "to",
  "limit",
  "offset",
];

/** `severity` (any of a list) and `min_severity` (that one or worse) together: the ones in both. */
function severities(query: Query): SecuritySeverity[] | undefined {
  const atLeast =
    query.min_severity === undefined
      ? undefined
      : SECURITY_SEVERITIES.slice(SECURITY_SEVERITIES.indexOf(query.min_severity));
  if (query.severity === undefined) return atLeast;
  if (atLeast === undefined) return query.severity;
  return query.severity.filter((s) => atLeast.includes(s));
}

function render(event: StoredSecurityEvent) {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    type: event.type,
    severity: event.severity,
    user_id: event.userId,
    client_id: event.clientId,
    ip: event.ip,
    user_agent: event.userAgent,
    details: event.details,
  };
}

/**
 * `GET /admin/api/security-logs`: stored security events, newest first, filtered by type,
 * severity (`severity` any of a list, `min_severity` that or worse), user, client, IP and time
 * (`from` inclusive, `to` exclusive, as the activity API), paginated like the other admin lists (`limit`, `offset`).
 */
export function securityLogApiRoutes(ctx: AppContext) {
  const list = adminHandler(ctx, (_admin, _params, request) => {
    const params = parseParams(new URL(request.url).searchParams);
    if (!params.ok) return params.response;
    const unknown = Object.keys(params.value).find((key) => !PARAMETERS.includes(key));
    if (unknown !== undefined) {
      return jsonError(
        400,
        "invalid_request",
        `unknown parameter ${JSON.stringify(unknown.slice(0, 64))}; expected ${PARAMETERS.join(", ")}`,
      );
    }
    const parsed = validate(querySchema, params.value);
    if (!parsed.ok) return parsed.response;
    const query = parsed.value;
    const filter: SecurityEventFilter = {
      types: query.type,
      severities: severities(query),
      userId: query.user,
      clientId: query.client,
      ip: query.ip,
      from: query.from,
      to: query.to,
    };
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const offset = query.offset ?? 0;
    const page = ctx.securityLog.page(filter, limit, offset);
    return json({ events: page.rows.map(render), total: page.total, limit, offset });
  });
  return new Elysia({ name: "admin-api-security-logs" }).get(
    BASE,
    withSchemas(list, { query: querySchema }),
    {
      detail: { summary: "Stored security events, newest first, with filters and pages" },
    },
  );
}
