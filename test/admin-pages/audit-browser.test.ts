// The audit and tool-pinning pages in Chromium: an admin audits a loopback server whose tools are
// poisoned with HTML, script, Unicode tags and ANSI escapes; the findings show as text (DOM text
// asserted, no dialog, no script ran) and export as JSON; then approves a changed tool on the
// review page and the tool works through /mcp/{server}. No session → login; non-admin → 403;
// a POST without the CSRF token → 403. Screenshots go to docs/screenshots/ (shown in the README).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { AuditReport } from "../../src/audit/scan/types.ts";
import { type FakeServer, startFakeServer } from "../audit-scan/fake-server.ts";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  sdkClient,
  tokenFor,
} from "../gateway/helpers.ts";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { STRONG_PASSWORD } from "../support/context.ts";
import {
  HOSTILE_DESCRIPTION,
  HOSTILE_NAME,
  POISONED_FINDINGS,
  POISONED_TOOLS,
  WEATHER,
  WEATHER_CHANGED,
  weather,
} from "./audit-fixtures.ts";

const SCREENSHOTS = screenshotsDir();

let env: GatewayWithUsers;
let browser: Browser;
let poisoned: FakeServer;
let pinnedBackend: FakeServer;
const pinnedTools = [weather(WEATHER)];

beforeAll(async () => {
  env = await gatewayWithUsers();
  poisoned = startFakeServer({ auth: "none", tools: POISONED_TOOLS });
  pinnedBackend = startFakeServer({ auth: "none", tools: pinnedTools });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await env?.close();
  poisoned?.close();
  pinnedBackend?.close();
});

/** A page that records console errors, failed scripts and any dialog. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems = pageProblems(page);
  return { page, problems };
}

async function signIn(page: Page, username: string, path: string) {
  await page.goto(`${env.gateway.url}${path}`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await page.click('button[type="submit"]');
}

test(
  "Chromium: audit a poisoned server (findings escaped, export as JSON), approve a changed tool, then it works through /mcp/{server}",
  async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const { page, problems } = await watchedPage(context);

    // A registered server, its tools approved at creation (pinning block-changed).
    const server = await createServer(env.gateway, env.setup.adminToken, {
      name: "weather",
      url: pinnedBackend.url,
      open_to_all: true,
      pinning_mode: "block-changed",
    });

    // Without a session: the login page, then back to the audit page.
    await signIn(page, "root", "/admin/audit");
    await page.waitForURL(`${env.gateway.url}/admin/audit`);
    expect(await page.locator("h1").textContent()).toBe("MCP security audit");

    const token = "browser-secret-token-7d2e";
    await page.fill('input[name="url"]', poisoned.url);
    await page.fill('input[name="token"]', token);
    await page.click('button:has-text("Run audit")');
    await page.waitForSelector(".audit-report");

    const ids = await page
      .locator("li.finding")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-finding-id")));
    for (const id of ["AUTH-001", "AUTH-002", "AUTH-003", ...POISONED_FINDINGS]) expect(ids).toContain(id);
    expect(await page.locator(".grade-letter").textContent()).toBe("F");
    // The hostile name and description are text in the DOM, not elements.
    expect(await page.locator('[data-finding-id="TOOL-NAME-001"] .finding-subject code').textContent()).toBe(
      HOSTILE_NAME,
    );
    expect(await page.locator('[data-finding-id="TOOL-INJ-001"] pre.evidence').textContent()).toContain(
      "<script>alert('desc')</script>",
    );
    expect(await page.locator('[data-finding-id="TOOL-CHAR-001"] pre.evidence').textContent()).toContain(
      "\\u{E0049}\\u{E0067}",
    );
    expect(await page.locator('[data-finding-id="TOOL-CHAR-004"] pre.evidence').textContent()).toContain(
      "\\u{1B}[8m",
    );
    expect(await page.locator(".audit-report img, .audit-report script").count()).toBe(0);
    expect(
      await page
        .locator(".severity.sev-critical")
        .first()
        .evaluate((n) => getComputedStyle(n).color),
    ).toBe("rgb(255, 255, 255)");
    // The token is not shown back (not in the page, the field is empty).
    expect(await page.content()).not.toContain(token);
    expect(await page.inputValue('input[name="token"]')).toBe("");
    expect(await page.inputValue('input[name="url"]')).toBe(poisoned.url);

    // Export as JSON: the same findings, the same order.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Export as JSON")]);
    const exported = JSON.parse(readFileSync((await download.path()) as string, "utf8")) as AuditReport;
    expect(exported.findings.map((f) => f.id)).toEqual(ids as string[]);
    expect(exported.url).toBe(poisoned.url);
    expect(JSON.stringify(exported)).not.toContain(token);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-audit.png"), fullPage: true });
    // A narrow window: nothing scrolls sideways.
    await page.setViewportSize({ width: 380, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1100, height: 900 });

    // Pinning: the server (approved at creation) changes a tool; block-changed hides it.
    pinnedTools[0] = weather(WEATHER_CHANGED);
    const aliceToken = await tokenFor(env.gateway, "alice", "weather");
    const blocked = (await sdkClient(`${env.gateway.url}/mcp/weather`, aliceToken)).client;
    expect((await blocked.listTools()).tools).toEqual([]);
    const refused = await blocked
      .callTool({ name: "get_weather", arguments: { city: "Oslo" } })
      .catch((error: unknown) => error);
    expect(String(refused)).toContain("blocked by tool-definition pinning");
    await blocked.close();

    await page.click("nav.admin-nav >> text=Tool pinning");
    await page.waitForURL(`${env.gateway.url}/admin/pinning`);
    const change = page.locator('[data-server="weather"] li.pin-change[data-name="get_weather"]');
    expect(await change.locator(".badge").textContent()).toBe("changed tool");
    expect(await change.locator("pre.diff-approved").textContent()).toBe(`${WEATHER}\n`);
    expect(await change.locator("pre.diff-current").textContent()).toBe(`${WEATHER_CHANGED}\n`);
    expect(await change.locator("pre.diff-current .line.marked").count()).toBe(1);
    expect(await page.locator("main img, main b").count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-pinning.png"), fullPage: true });
    await page.setViewportSize({ width: 380, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1100, height: 900 });

    // A POST without the CSRF token (same browser session, same Origin) is refused.
    const forged = await context.request.post(`${env.gateway.url}/admin/pinning/${server.id}/approve`, {
      form: { seen: (await page.locator('[data-server="weather"] input[name="seen"]').inputValue()) ?? "" },
      headers: { origin: env.gateway.url },
    });
    expect(forged.status()).toBe(403);
    expect(env.gateway.app.decorator.gateway.pinning.view(server.id).changes).toHaveLength(1);

    await page.click('[data-server="weather"] button:has-text("Approve current tools")');
    await page.waitForSelector(".notice");
    expect(await page.locator(".notice").textContent()).toBe("weather: 1 definitions approved.");
    expect(await page.locator('[data-server="weather"] li.pin-change').count()).toBe(0);

    const approved = (await sdkClient(`${env.gateway.url}/mcp/weather`, aliceToken)).client;
    const listed = await approved.listTools();
    expect(listed.tools.map((t) => [t.name, t.description])).toEqual([["get_weather", WEATHER_CHANGED]]);
    const call = await approved.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    expect(call.content).toEqual([{ type: "text", text: "called get_weather" }]);
    await approved.close();

    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);

test("Chromium: a person who is not an administrator gets 403 on both pages", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, "alice", "/admin/audit");
  await page.waitForURL(/\/admin\/audit$/);
  const audit = await page.goto(`${env.gateway.url}/admin/audit`);
  expect(audit?.status()).toBe(403);
  expect(await page.locator("body").textContent()).toContain("This page is for administrators");
  expect((await page.goto(`${env.gateway.url}/admin/pinning`))?.status()).toBe(403);
  expect(await page.content()).not.toContain(HOSTILE_DESCRIPTION);
  await context.close();
});
