// Chromium: /admin/logs follows the application log live. A request to the gateway appears as a
// new line without a reload; a line with markup stays text and runs nothing; pause holds new lines,
// resume shows them; the level filter applies to the live list too. Writes
// docs/screenshots/admin-logs.png.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SCREENSHOTS = screenshotsDir();
const HOSTILE = `<img src=x onerror="alert('log')"><script>alert("x")</script>`;

let gateway: ListeningGateway;
let browser: Browser;

beforeAll(async () => {
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  gateway.ctx.logger.info({ probe: "before" }, "probe line before the page");
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

const liveMessages = (page: Page) => page.locator("#logs-live-rows td.log-msg").allTextContents();
const status = (page: Page) => page.locator("#logs-live-status").textContent();

test(
  "Chromium: a request's log line appears live, markup stays text, pause holds lines and resume shows them",
  async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems = pageProblems(page);

    // Sign in, and come back to the filtered page.
    await page.goto(`${gateway.url}/admin/logs?q=probe`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill('input[name="username"]', "root");
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await Promise.all([page.waitForURL(/\/admin\/logs\?/), page.click('button[type="submit"]')]);
    await page.waitForFunction(
      () => document.getElementById("logs-live-status")?.textContent === "following new lines",
    );
    expect(await page.locator("#logs-live").isVisible()).toBe(true);
    expect(await page.locator("#logs-recent-table td.log-msg").allTextContents()).toEqual([
      "probe line before the page",
    ]);

    // An action: a request to the gateway. Its log line appears without a reload.
    expect((await fetch(`${gateway.url}/probe-first`)).status).toBe(404);
    await page.locator("#logs-live-rows tr.log-row").first().waitFor();
    expect(await liveMessages(page)).toEqual(["request"]);
    expect(await page.locator("#logs-live-rows td.log-fields").first().textContent()).toContain(
      '"path":"/probe-first"',
    );

    // A line with markup (say a tool name a backend chose): text, nothing runs.
    gateway.ctx.logger.warn({ tool: HOSTILE }, `probe tool ${HOSTILE}`);
    await page.waitForFunction(() => document.querySelectorAll("#logs-live-rows tr").length === 2);
    expect((await liveMessages(page))[0]).toBe(`probe tool ${HOSTILE}`);
    expect(await page.locator("#logs-live-rows tr.log-row").first().getAttribute("data-level")).toBe("warn");
    expect(await page.locator("main img, #logs-live-rows script").count()).toBe(0);

    // Pause: a new line is held (the status counts it), not shown; resume shows it.
    await page.click("#logs-pause");
    expect(await page.locator("#logs-pause").textContent()).toBe("Resume");
    expect((await fetch(`${gateway.url}/probe-while-paused`)).status).toBe(404);
    await page.waitForFunction(
      () => document.getElementById("logs-live-status")?.textContent === "paused: 1 new line waiting",
    );
    expect(await page.locator("#logs-live-rows tr").count()).toBe(2);
    await page.click("#logs-pause");
    expect(await page.locator("#logs-live-rows tr").count()).toBe(3);
    expect(await page.locator("#logs-live-rows td.log-fields").first().textContent()).toContain(
      "/probe-while-paused",
    );
    expect(await status(page)).toBe("following new lines");
    await page.screenshot({ path: join(SCREENSHOTS, "admin-logs.png"), fullPage: true });

    // A narrow window: the page does not scroll sideways.
    await page.setViewportSize({ width: 380, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1200, height: 900 });

    // The level filter holds for the live list: an info line is not shown, an error is.
    await page.selectOption('select[name="level"]', "error");
    await Promise.all([page.waitForURL(/level=error/), page.click('form[aria-label="Filters"] button')]);
    await page.waitForFunction(
      () => document.getElementById("logs-live-status")?.textContent === "following new lines",
    );
    gateway.ctx.logger.info("probe info, filtered out");
    gateway.ctx.logger.error({ err: "ECONNREFUSED" }, "probe error, shown");
    await page.locator("#logs-live-rows tr.log-row").first().waitFor();
    expect(await liveMessages(page)).toEqual(["probe error, shown"]);

    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);
