// The dashboard on the admin shell: counts, the last 24 h of MCP requests as a server-rendered
// SVG chart, recent security events (escaped), the write queues' health; access checks.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { browserLogin, getPage, Jar, parseElements } from "../admin/web.ts";
import { activityRow } from "../support/activity-row.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

const HOUR = 3_600_000;
let gateway: TestGateway;
let admin: Jar;

function row(at: number, outcome: McpActivity["outcome"]): McpActivity {
  const httpStatus = outcome === "ok" ? 200 : outcome === "error" ? 502 : 403;
  return activityRow({ at, outcome, httpStatus, latencyMs: 5, responseBytes: 10 });
}

/** The chart's hours: [requests, errors, refused] and how many bars each draws. */
function chartHours(html: string) {
  const hours: { requests: number; errors: number; refused: number; bars: string[] }[] = [];
  new HTMLRewriter()
    .on("svg g.chart-hour", {
      element(el) {
        hours.push({
          requests: Number(el.getAttribute("data-requests")),
          errors: Number(el.getAttribute("data-errors")),
          refused: Number(el.getAttribute("data-refused")),
          bars: [],
        });
      },
    })
    .on("svg g.chart-hour rect.bar", {
      element(el) {
        hours.at(-1)?.bars.push(`${el.getAttribute("class")}:${el.getAttribute("height")}`);
      },
    })
    .transform(html);
  return hours;
}

beforeAll(async () => {
  // A tiny activity queue, to see the dashboard report dropped rows.
  gateway = await testGateway({ ACTIVITY_QUEUE_MAX: "10" });
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  admin = new Jar();
  await browserLogin(gateway, admin, "root", STRONG_PASSWORD);
});
afterAll(async () => {
  await gateway?.close();
});

test("without a session → login (back to /admin/); as a non-admin → 403", async () => {
  const anonymous = await gateway.request("/admin/");
  expect(anonymous.status).toBe(303);
  expect(anonymous.headers.get("location")).toBe("/login?return_to=/admin/");
  const alice = new Jar();
  await browserLogin(gateway, alice, "alice", STRONG_PASSWORD, "/portal/");
  const { response, html } = await getPage(gateway, alice, "/admin/");
  expect(response.status).toBe(403);
  expect(html).not.toContain("chart-hour");
});

test("the dashboard is on the admin shell: its navigation, the current page marked", async () => {
  const { html } = await getPage(gateway, admin, "/admin/");
  const links = parseElements(html, "nav.admin-nav a");
  expect(links.map((a) => a.href)).toContain("/admin/activity");
  expect(links.find((a) => a.href === "/admin/")?.["aria-current"]).toBe("page");
});

test("the chart: 24 hours, the current one last, a stacked bar per hour with requests, errors and refusals", async () => {
  const now = gateway.clock.now();
  const activity = gateway.ctx.activity;
  for (const outcome of ["ok", "ok", "ok", "error"] as const) activity.record(row(now, outcome));
  activity.record(row(now - HOUR, "denied"));
  activity.record(row(now - HOUR, "ok"));
  activity.record(row(now - 30 * HOUR, "ok")); // older than the chart
  const { response, html } = await getPage(gateway, admin, "/admin/");
  expect(response.status).toBe(200);
  const hours = chartHours(html);
  expect(hours.length).toBe(24);
  const current = hours[23];
  const previous = hours[22];
  expect(current).toMatchObject({ requests: 4, errors: 1, refused: 0 });
  expect(previous).toMatchObject({ requests: 2, errors: 0, refused: 1 });
  // The tallest hour reaches the top gridline (4 → a scale of 5): the bars' heights add up to 4/5 of it.
  expect(current?.bars.map((b) => b.split(":")[0])).toEqual(["bar bar-ok", "bar bar-error"]);
  expect(previous?.bars.map((b) => b.split(":")[0])).toEqual(["bar bar-ok", "bar bar-refused"]);
  const height = (bars: string[] | undefined) =>
    (bars ?? []).reduce((sum, b) => sum + Number(b.split(":")[1]), 0);
  expect(height(current?.bars)).toBeCloseTo(2 * height(previous?.bars), 0);
  expect(hours.slice(0, 22).every((h) => h.requests === 0 && h.bars.length === 0)).toBe(true);
  expect(parseElements(html, "svg")[0]?.["aria-label"]).toBe(
    "6 requests, 1 errors and 1 refused in the last 24 hours",
  );
});

test("recent security events, newest first and escaped; the queues' depth and dropped rows", async () => {
  gateway.ctx.securityEvents.record({ type: "login_failure", ip: `<img src=x onerror="alert(1)">` });
  gateway.ctx.securityEvents.record({ type: "session_hijack", severity: "critical", ip: "10.0.0.9" });
  // The queue holds 10: these 12 rows, recorded in one tick, lose 2.
  for (let i = 0; i < 12; i++) gateway.ctx.activity.record(row(gateway.clock.now(), "ok"));
  const { html } = await getPage(gateway, admin, "/admin/");
  expect(html).not.toContain("<img src=x");
  const events = parseElements(html, "table.security-events tbody tr").map((r) => r["data-severity"]);
  expect(events.slice(0, 2)).toEqual(["critical", "low"]);
  expect(html).toContain("&lt;img src=x onerror=");
  expect(html).toContain("MCP activity</dt><dd>0 waiting, 2 dropped since start");
  expect(parseElements(html, "section.queues")[0]?.class).toBe("card queues queues-dropping");
  // The 10 kept rows were written and counted.
  expect(chartHours(html)[23]?.requests).toBe(14);
});
