import { Elysia } from "elysia";
import { SecurityEventsPage, type SecurityFilterValues } from "../../../views/admin/security-events.tsx";
import type { SecurityEventFilter } from "../../audit/security-events/store.ts";
import {
  SECURITY_EVENT_TYPES,
  SECURITY_SEVERITIES,
  type SecurityEventType,
  type SecuritySeverity,
} from "../../audit/security-events/types.ts";
import type { AppContext } from "../../context.ts";
import { parseIp } from "../../gateway/ip-networks.ts";
import { htmlResponse } from "../../web/html.ts";
import { DEFAULT_PAGE_SIZE } from "../api/list-query.ts";
import { adminPageGuard } from "./guard.ts";

/** Highest page number; the same bound on `user` as the JSON API (`GET /admin/api/security-logs`). */
const PAGE_MAX = 1_000_000;
const USER_MAX_LENGTH = 200;
/** What `<input type="datetime-local">` sends: minutes, optionally seconds (read as UTC). */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

type Parsed = { filter: SecurityEventFilter; page: number; errors: string[] };

function readFilters(ctx: AppContext, values: SecurityFilterValues, pageText: string): Parsed {
  const errors: string[] = [];
  const filter: SecurityEventFilter = {};
  if (values.type) {
    if ((SECURITY_EVENT_TYPES as readonly string[]).includes(values.type)) {
      filter.types = [values.type as SecurityEventType];
    } else errors.push(`Type: expected one of ${SECURITY_EVENT_TYPES.join(", ")}.`);
  }
  if (values.min_severity) {
    const at = SECURITY_SEVERITIES.indexOf(values.min_severity as SecuritySeverity);
    if (at >= 0) filter.severities = SECURITY_SEVERITIES.slice(at);
    else errors.push(`Severity: expected one of ${SECURITY_SEVERITIES.join(", ")}.`);
  }
  if (values.user) {
    if (values.user.length > USER_MAX_LENGTH) errors.push(`User: at most ${USER_MAX_LENGTH} characters.`);
    // A username names the person; anything else is taken as a user id (a deleted user's too).
    else filter.userId = ctx.users.byUsername(values.user)?.id ?? values.user;
  }
  if (values.ip) {
    if (values.ip.length <= 64 && parseIp(values.ip) !== undefined) filter.ip = values.ip;
    else errors.push("IP: expected an IPv4 or IPv6 address.");
  }
  for (const bound of ["from", "to"] as const) {
    const text = values[bound];
    if (!text) continue;
    const ms = LOCAL_TIME.test(text) ? Date.parse(`${text}Z`) : Number.NaN;
    if (Number.isNaN(ms))
      errors.push(`${bound === "from" ? "From" : "To"}: expected a date and time like 2026-01-31T12:00.`);
    else filter[bound] = ms;
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    errors.push("From must not be after To.");
  }
  const page = /^\d{1,7}$/.test(pageText) ? Number(pageText) : 0;
  if (page < 1 || page > PAGE_MAX) errors.push(`Page: expected a whole number from 1 to ${PAGE_MAX}.`);
  return { filter, page, errors };
}

/**
 * `/admin/security`: the stored security events for administrators, newest first, filtered by
 * type, minimum severity, user, IP and time (`from` inclusive, `to` exclusive, UTC), with server-side
 * pagination; details are shown as escaped JSON. Bad filters are named on the page (400), never a 500.
 */
export function adminSecurityPages(ctx: AppContext) {
  const guard = adminPageGuard(ctx);
  return new Elysia({ name: "admin-pages-security" }).get("/admin/security", async ({ request }) => {
    const admin = await guard(request);
    if (admin instanceof Response) return admin;
    const params = new URL(request.url).searchParams;
    const read = (name: string) => (params.get(name) ?? "").trim().slice(0, 2048);
    const values: SecurityFilterValues = {
      type: read("type"),
      min_severity: read("min_severity"),
      user: read("user"),
      ip: read("ip"),
      from: read("from"),
      to: read("to"),
    };
    const parsed = readFilters(ctx, values, read("page") || "1");
    const ok = parsed.errors.length === 0;
    const page = ok ? parsed.page : 1;
    const found = ok
      ? ctx.securityLog.page(parsed.filter, DEFAULT_PAGE_SIZE, (page - 1) * DEFAULT_PAGE_SIZE)
      : { rows: [], total: 0 };
    const usernames = new Map<string, string>();
    for (const event of found.rows) {
      if (event.userId === null || usernames.has(event.userId)) continue;
      const user = ctx.users.principal(event.userId);
      if (user) usernames.set(event.userId, user.username);
    }
    const html = await SecurityEventsPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      events: found.rows,
      usernames,
      total: found.total,
      page,
      pageSize: DEFAULT_PAGE_SIZE,
      values,
      errors: parsed.errors,
    });
    return htmlResponse(html, ok ? 200 : 400);
  });
}
