// Chromium: the live MCP activity page follows tool calls made through /mcp/{server} by the MCP
// SDK's client against a real loopback backend (rows appear without a reload; pause holds them,
// resume shows them; a click opens a row's details; hostile tool names stay text), the live list
// keeps ADMIN_LIVE_ACTIVITY_ROWS rows, and the dashboard's chart has the bars of these calls.
// Writes docs/screenshots/admin-activity.png and admin-dashboard.png.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Browser, Page } from "playwright-core";
import { sdkClient, tokenFor } from "../gateway/helpers.ts";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SCREENSHOTS = screenshotsDir();
const HOSTILE_TOOL = `<img src=x onerror="alert('tool')"><script>alert("x")</script>`;
const LIVE_ROWS = 10;

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;
let client: Client;

beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway({ ADMIN_LIVE_ACTIVITY_ROWS: String(LIVE_ROWS) });
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  const alice = await createUser(gateway, "alice");
  const { registry, policy } = gateway.app.decorator.gateway;
  const created = await registry.create({ name: "notes", displayName: "Team notes", url: backend.url });
  if (!created.ok) throw new Error(created.message);
  policy.grantUser(created.server.id, alice.id);
  ({ client } = await sdkClient(`${gateway.url}/mcp/notes`, await tokenFor(gateway, "alice", "notes")));
});
afterAll(async () => {
  await client?.close();
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

const liveRows = (page: Page) => page.locator("#activity-live-rows tr.activity-row");
const liveTargets = (page: Page) =>
  page
    .locator("#activity-live-rows td.activity-target")
    .evaluateAll((cells) => cells.map((c) => c.textContent));

async function echo(text: string): Promise<void> {
  const result = await client.callTool({ name: "echo", arguments: { text } });
  expect(JSON.stringify(result.content)).toContain(text);
}

test(
  "Chromium: tool calls appear live, pause holds them, resume shows them; the dashboard's chart has their bars",
  async () => {
    await echo("before the page"); // in the stored history when the page opens
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems = pageProblems(page);

    // Sign in, and come back to the filtered page.
    await page.goto(`${gateway.url}/admin/activity?server=notes&method=tools%2Fcall`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill('input[name="username"]', "root");
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await Promise.all([page.waitForURL(/\/admin\/activity\?/), page.click('button[type="submit"]')]);
    await page.waitForFunction(
      () => document.getElementById("activity-live-status")?.textContent === "following new requests",
    );
    expect(await page.locator("#activity-live").isVisible()).toBe(true);
    expect(await page.locator("#activity-history-table td.activity-target").allTextContents()).toEqual([
      "echo",
    ]);

    // A call through the gateway: its row appears without a reload.
    await echo("hello");
    await liveRows(page).first().waitFor();
    expect(await liveTargets(page)).toEqual(["echo"]);
    const first = liveRows(page).first();
    expect(await first.locator("td").nth(1).textContent()).toBe("alice");
    expect(await first.locator(".badge").textContent()).toBe("ok");

    // A tool name from the client with markup in it: shown as text, nothing runs.
    await client.callTool({ name: HOSTILE_TOOL, arguments: {} }).catch(() => undefined);
    await page.waitForFunction(() => document.querySelectorAll("#activity-live-rows tr").length === 2);
    expect(await liveTargets(page)).toEqual([HOSTILE_TOOL, "echo"]);
    expect(await page.locator("#activity-live-rows img, #activity-live-rows script").count()).toBe(0);

    // A click on the row opens its details.
    await liveRows(page).nth(1).locator("td").first().click();
    const details = liveRows(page).nth(1).locator("details");
    expect(await details.getAttribute("open")).toBe("");
    expect(await details.locator("dd").nth(1).textContent()).toBe("200");

    // Pause: a new call is held (the status counts it), not shown; resume shows it.
    await page.click("#activity-pause");
    expect(await page.locator("#activity-pause").textContent()).toBe("Resume");
    await echo("while paused");
    await page.waitForFunction(
      () => document.getElementById("activity-live-status")?.textContent === "paused: 1 new request waiting",
    );
    expect(await liveRows(page).count()).toBe(2);
    await page.click("#activity-pause");
    expect(await liveRows(page).count()).toBe(3);
    expect(await page.locator("#activity-live-status").textContent()).toBe("following new requests");
    await page.screenshot({ path: join(SCREENSHOTS, "admin-activity.png"), fullPage: true });

    // A narrow window: the page does not scroll sideways (the tables scroll in their own box).
    await page.setViewportSize({ width: 380, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1200, height: 900 });

    // The live list keeps ADMIN_LIVE_ACTIVITY_ROWS rows, the newest: after a burst, a last call
    // with a name of its own marks when every row arrived.
    for (let i = 0; i < LIVE_ROWS + 2; i++) await echo(`burst ${i}`);
    await client.callTool({ name: "last-marker", arguments: {} }).catch(() => undefined);
    await page.waitForFunction(
      () => document.querySelector("#activity-live-rows td.activity-target")?.textContent === "last-marker",
    );
    expect(await liveRows(page).count()).toBe(LIVE_ROWS);

    // The dashboard: this hour's bar counts every MCP request of this test (not only tools/call).
    await page.goto(`${gateway.url}/admin/`);
    const hour = page.locator("svg g.chart-hour").last();
    const requests = Number(await hour.getAttribute("data-requests"));
    const { activity } = gateway.app.decorator;
    activity.queue?.flush();
    const stored = activity.store.page({}, 1, 0).total;
    expect(requests).toBe(stored);
    expect(requests).toBeGreaterThanOrEqual(LIVE_ROWS + 5);
    expect(await hour.locator("rect.bar-ok").count()).toBe(1);
    expect(Number(await hour.locator("rect.bar-ok").getAttribute("height"))).toBeGreaterThan(0);
    expect(await page.locator("svg g.chart-hour rect.bar").count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(SCREENSHOTS, "admin-dashboard.png"), fullPage: true });
    await page.setViewportSize({ width: 380, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);

    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);
