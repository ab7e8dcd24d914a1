import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUser, login, type TestGateway, testGateway } from "../support/context.ts";
import { browserUser } from "../support/oauth-helpers.ts";

let gateway: TestGateway;
let adminToken: string;
let userToken: string;
let start: number;

type Page = { events: Record<string, unknown>[]; total: number; limit: number; offset: number };

const get = (query: string, token = adminToken) =>
  gateway.request(`/admin/api/security-logs${query}`, { headers: { authorization: `Bearer ${token}` } });

async function page(query: string): Promise<Page> {
  const response = await get(query);
  expect(response.status).toBe(200);
  return (await response.json()) as Page;
}

const ids = (p: Page) => p.events.map((e) => e.details && (e.details as { n: number }).n);

beforeAll(async () => {
  gateway = await testGateway();
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  adminToken = (await login(gateway, "root")).access_token;
  userToken = (await login(gateway, "alice")).access_token;
  // A known series, one minute apart, after the sign-ins above (which recorded events of their own).
  gateway.clock.advance(1_000);
  start = gateway.clock.now();
  const series = [
    { type: "login_failure", severity: "low", userId: "u-1", ip: "192.0.2.1" },
    { type: "login_failure", severity: "medium", userId: "u-2", ip: "192.0.2.2" },
    { type: "refresh_token_reuse", severity: "high", userId: "u-1", ip: "2001:db8::1" },
    { type: "admin_change", severity: "medium", userId: "u-2", ip: "192.0.2.1" },
    { type: "session_hijack", severity: "critical", userId: "u-3", ip: "192.0.2.3" },
  ] as const;
  series.forEach((event, n) => {
    gateway.ctx.securityEvents.record({ ...event, clientId: `c-${n}`, userAgent: "ua", details: { n } });
    gateway.clock.advance(60_000);
  });
});
afterAll(() => gateway.close());

describe("GET /admin/api/security-logs", () => {
  test("an admin token (or admin session) is required", async () => {
    expect((await gateway.request("/admin/api/security-logs")).status).toBe(401);
    expect((await get("", userToken)).status).toBe(403);
    const session = await browserUser(gateway, "root");
    const viaSession = await gateway.request("/admin/api/security-logs?limit=1", {
      headers: { cookie: session.cookie },
    });
    expect(viaSession.status).toBe(200);
  });

  test("newest first, every field shown", async () => {
    const p = await page(`?from=${start}`);
    expect(ids(p)).toEqual([4, 3, 2, 1, 0]);
    expect(p.total).toBe(5);
    expect(p.events[4]).toEqual({
      id: expect.any(Number),
      at: new Date(start).toISOString(),
      type: "login_failure",
      severity: "low",
      user_id: "u-1",
      client_id: "c-0",
      ip: "192.0.2.1",
      user_agent: "ua",
      details: { n: 0 },
    });
  });

  test("filters: type, severity, at-least severity, user, client, IP, time range", async () => {
    expect(ids(await page(`?from=${start}&type=login_failure`))).toEqual([1, 0]);
    expect(ids(await page(`?from=${start}&type=login_failure,session_hijack`))).toEqual([4, 1, 0]);
    expect(ids(await page(`?from=${start}&severity=medium`))).toEqual([3, 1]);
    expect(ids(await page(`?from=${start}&min_severity=high`))).toEqual([4, 2]);
    expect(ids(await page(`?from=${start}&min_severity=medium&severity=medium,low`))).toEqual([3, 1]);
    expect(ids(await page(`?user=u-1`))).toEqual([2, 0]);
    expect(ids(await page(`?client=c-3`))).toEqual([3]);
    expect(ids(await page(`?ip=192.0.2.1`))).toEqual([3, 0]);
    expect(ids(await page(`?ip=2001:db8::1`))).toEqual([2]);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(ids(await page(`?from=${iso(start + 60_000)}&to=${iso(start + 180_000)}`))).toEqual([2, 1]);
    expect(ids(await page(`?from=${start + 60_000}&to=${start + 60_001}`))).toEqual([1]);
  });

  test("pagination: limit and offset, total counts every match", async () => {
    const first = await page(`?from=${start}&limit=2`);
    expect([ids(first), first.total, first.limit, first.offset]).toEqual([[4, 3], 5, 2, 0]);
    const third = await page(`?from=${start}&limit=2&offset=4`);
    expect([ids(third), third.total]).toEqual([[0], 5]);
  });

  test("bad filter values are a 400 naming the parameter, never a 500", async () => {
    const cases: [string, string][] = [
      ["?type=nope", 'type: unknown type "nope"'],
      ["?severity=urgent", 'severity: unknown severity "urgent"'],
      ["?min_severity=urgent", "min_severity: expected one of info, low, medium, high, critical"],
      ["?from=yesterday", "from: expected Unix milliseconds or an ISO 8601 date-time"],
      ["?to=2026-13-99T00:00:00Z", "to: expected Unix milliseconds or an ISO 8601 date-time"],
      [`?from=${start + 1}&to=${start}`, "from: from must not be after to"],
      ["?ip=not-an-ip", "ip: expected an IPv4 or IPv6 address"],
      ["?limit=0", "limit: expected a whole number from 1 to 200"],
      ["?limit=201", "limit: expected a whole number from 1 to 200"],
      ["?offset=-1", "offset: expected a whole number"],
      ["?type=login_failure&type=login_success", "parameter type is repeated"],
      ["?user_id=u-1", 'unknown parameter "user_id"; expected type, severity, min_severity, user'],
    ];
    for (const [query, message] of cases) {
      const response = await get(query);
      expect([query, response.status]).toEqual([query, 400]);
      const body = (await response.json()) as { error: string; error_description: string };
      expect([query, body.error]).toEqual([query, "invalid_request"]);
      expect(body.error_description).toStartWith(message);
    }
  });
});
