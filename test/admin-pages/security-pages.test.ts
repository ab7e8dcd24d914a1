import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { browserLogin, getPage, Jar, parseElements } from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway;
let aliceId: string;
let jar: Jar;

beforeAll(async () => {
  gateway = await testGateway();
  await createUser(gateway, "root", { isAdmin: true });
  aliceId = (await createUser(gateway, "alice")).id;
  jar = new Jar();
  expect((await browserLogin(gateway, jar, "root", STRONG_PASSWORD)).response.status).toBe(303);
  const events = gateway.ctx.securityEvents;
  // 60 failures from one address, a minute apart, then a few others.
  for (let i = 0; i < 60; i++) {
    events.record({ type: "login_failure", ip: "203.0.113.7", details: { login: `guess-${i}` } });
    gateway.clock.advance(60_000);
  }
  events.record({
    type: "tool_blocked",
    userId: aliceId,
    ip: "198.51.100.2",
    details: { tool: '<script>alert("x")</script>', reason: "</pre><b>bold</b>" },
  });
  events.record({ type: "refresh_token_reuse", userId: aliceId, clientId: "<i>client</i>" });
});
afterAll(() => gateway?.close());

const rows = (html: string) => parseElements(html, "tbody tr[data-event-type]");

describe("admin security events page", () => {
  test("events newest first, severity marked on each row, hostile details shown as text", async () => {
    const { response, html } = await getPage(gateway, jar, "/admin/security");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const shown = rows(html);
    expect(shown).toHaveLength(50);
    expect(shown[0]).toMatchObject({ "data-event-type": "refresh_token_reuse", "data-severity": "high" });
    expect(shown[1]).toMatchObject({ "data-event-type": "tool_blocked", "data-severity": "high" });
    expect(shown[2]?.["data-severity"]).toBe("low");
    expect(html).not.toContain("<script>alert");
    expect(parseElements(html, "main b")).toHaveLength(0);
    expect(parseElements(html, "main i")).toHaveLength(0);
    expect(html).toContain("&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;/pre&gt;&lt;b&gt;bold&lt;/b&gt;");
    // The user's name, not only their id.
    expect(html).toContain("<td>alice</td>");
  });

  test("filters: type, minimum severity, user, IP and time range; pagination keeps them", async () => {
    const byType = await getPage(gateway, jar, "/admin/security?type=login_failure");
    expect(byType.html).toContain("Page 1 of 2 · 60 events");
    const next = parseElements(byType.html, "nav.pager a").map((a) => a.href);
    expect(next).toEqual(["/admin/security?type=login_failure&page=2"]);
    const second = await getPage(gateway, jar, "/admin/security?type=login_failure&page=2");
    expect(rows(second.html)).toHaveLength(10);

    const high = await getPage(gateway, jar, "/admin/security?min_severity=high");
    expect(rows(high.html).map((r) => r["data-event-type"])).toEqual(["refresh_token_reuse", "tool_blocked"]);
    const user = await getPage(gateway, jar, "/admin/security?user=alice&type=tool_blocked");
    expect(rows(user.html).map((r) => r["data-event-type"])).toEqual(["tool_blocked"]);
    const byId = await getPage(gateway, jar, `/admin/security?user=${aliceId}`);
    expect(rows(byId.html)).toHaveLength(2);
    const ip = await getPage(gateway, jar, "/admin/security?ip=198.51.100.2");
    expect(rows(ip.html).map((r) => r["data-event-type"])).toEqual(["tool_blocked"]);
    // From inclusive, to exclusive, read as UTC: 12:00 … 12:05 is five failures.
    const range = await getPage(
      gateway,
      jar,
      "/admin/security?type=login_failure&from=2026-11-22T12:00&to=2026-11-22T12:05",
    );
    expect(rows(range.html)).toHaveLength(5);
    expect(range.html).toContain('value="2026-11-22T12:00"');
  });

  test("bad filters → 400 with the problem named, shown back escaped, never a 500", async () => {
    const cases: [string, string][] = [
      ["type=nope", "Type: expected one of"],
      ["min_severity=extreme", "Severity: expected one of"],
      ["ip=not-an-ip", "IP: expected an IPv4 or IPv6 address."],
      ["from=yesterday", "From: expected a date and time"],
      ["from=2026-03-02T00:00&to=2026-03-01T00:00", "From must not be after To."],
      ["page=0", "Page: expected a whole number"],
      [`user=${"u".repeat(300)}`, "User: at most 200 characters."],
    ];
    for (const [query, message] of cases) {
      const { response, html } = await getPage(gateway, jar, `/admin/security?${query}`);
      expect(response.status).toBe(400);
      expect(html).toContain(message);
      expect(rows(html)).toHaveLength(0);
    }
    const hostile = await getPage(
      gateway,
      jar,
      `/admin/security?ip=${encodeURIComponent('"><script>x</script>')}`,
    );
    expect(hostile.response.status).toBe(400);
    // Shown back only as the field's value, its quote escaped: no element comes out of it.
    expect(parseElements(hostile.html, "main script")).toHaveLength(0);
    expect(parseElements(hostile.html, 'input[name="ip"]')[0]?.value).toBe("&#34;><script>x</script>");
  });
});
