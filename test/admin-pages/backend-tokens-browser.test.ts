import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { createServer } from "../gateway/helpers.ts";
import { launchBrowser, screenshotsDir } from "../support/browser.ts";
import { createUser, login, STRONG_PASSWORD } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { startTokenEndpoint, type TokenEndpoint } from "./backend-tokens-endpoint.ts";

const CC_SECRET = "browser-cc-secret-93d2";
const SCREENSHOTS = screenshotsDir();

let gateway: ListeningGateway;
let browser: Browser;
let endpoint: TokenEndpoint;
let ccId: string;

// One attempt of at most 1.5 s: the page's htmx request gives up a little after that.
beforeAll(async () => {
  endpoint = startTokenEndpoint();
  gateway = await listeningGateway({ MCP_BACKEND_TOKEN_RETRIES: "1", MCP_BACKEND_TOKEN_TIMEOUT_MS: "1500" });
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  const adminToken = (await login(gateway, "root")).access_token;
  const server = await createServer(gateway, adminToken, {
    name: "billing",
    url: "http://127.0.0.1:9/mcp",
    auth_required: false,
    credential: {
      type: "client_credentials",
      token_url: endpoint.url,
      client_id: "gateway-client",
      client_secret: CC_SECRET,
    },
  });
  ccId = server.id;
  await createServer(gateway, adminToken, {
    name: "wiki",
    url: "http://127.0.0.1:9/mcp",
    auth_required: false,
    credential: { type: "bearer", token: "browser-static-secret" },
  });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  endpoint?.stop();
});

async function signedInPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${gateway.url}/admin/backend-tokens`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([
    page.waitForURL(`${gateway.url}/admin/backend-tokens`),
    page.click('button[type="submit"]'),
  ]);
  return page;
}

const expiryOf = (page: Page) =>
  page.locator(`tr[data-server="${ccId}"] td.token-expiry time`).getAttribute("datetime");

test("Chromium: Refresh now swaps the row in place with the new expiry; a refusal shows the endpoint's error; no answer in time says so", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
  const problems: string[] = [];
  const page = await signedInPage(context);
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => {
    // htmx logs the failures this test provokes ("htmx:timeout, …"); anything else (a CSP refusal) counts.
    if (message.type() === "error" && !message.text().startsWith("htmx:")) problems.push(message.text());
  });
  const row = page.locator(`tr[data-server="${ccId}"]`);
  expect(await row.getAttribute("data-status")).toBe("not_fetched");
  expect(await page.locator("form.token-refresh").count()).toBe(1); // the bearer server has none
  // A marker in the window: gone if the click loaded a new page instead of swapping the row.
  await page.evaluate(() => {
    (window as unknown as { stayed: boolean }).stayed = true;
  });

  endpoint.mode = { kind: "issue", expiresIn: 3600 };
  await row.locator("button").click();
  await page.waitForSelector(`tr[data-server="${ccId}"][data-status="ok"]`);
  expect(await expiryOf(page)).toBe(new Date(gateway.clock.now() + 3_600_000).toISOString());
  expect(await row.locator(".token-result").textContent()).toBe("New token fetched.");

  gateway.clock.advance(60_000);
  endpoint.mode = { kind: "issue", expiresIn: 7200 };
  const second = new Date(gateway.clock.now() + 7_200_000).toISOString();
  await row.locator("button").click();
  await page.waitForSelector(`tr[data-server="${ccId}"] td.token-expiry time[datetime="${second}"]`);

  endpoint.mode = { kind: "refuse", status: 401, error: "invalid_client", description: "unknown client" };
  await row.locator("button").click();
  await page.waitForSelector(`tr[data-server="${ccId}"][data-status="refresh_failed"]`);
  expect(await row.locator("td.token-error").textContent()).toContain(
    "token endpoint answered 401: invalid_client (unknown client)",
  );
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  expect(await page.content()).not.toContain(CC_SECRET);
  // The page at its most telling (a token held, a refusal on record): the README shows it.
  await page.screenshot({ path: join(SCREENSHOTS, "admin-backend-tokens.png"), fullPage: true });

  // The gateway does not answer: progress shows while waiting, then the page says there was no answer.
  const held: Route[] = [];
  await page.route("**/admin/backend-tokens/*/refresh", (route) => {
    held.push(route);
  });
  await row.locator("button").click();
  await page.waitForSelector(`tr[data-server="${ccId}"] .token-progress`, { state: "visible" });
  expect(await row.locator("button").isDisabled()).toBe(true);
  const failed = row.locator(".token-failed");
  await failed.waitFor({ state: "visible" });
  expect(await failed.textContent()).toContain("No answer within");
  expect(await row.locator(".token-progress").isVisible()).toBe(false);
  expect(await row.locator("button").isDisabled()).toBe(false);
  expect(problems).toEqual([]);
  await page.unroute("**/admin/backend-tokens/*/refresh");
  for (const route of held) await route.abort().catch(() => {});
  await context.close();
});

test("Chromium without JavaScript: Refresh now posts the form and the page comes back with the new expiry", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await signedInPage(context);
  endpoint.mode = { kind: "issue", expiresIn: 900 };
  await Promise.all([page.waitForLoadState(), page.locator(`tr[data-server="${ccId}"] button`).click()]);
  await page.waitForSelector(".notice");
  expect(await page.locator(".notice").textContent()).toContain("billing: new token fetched");
  expect(await expiryOf(page)).toBe(new Date(gateway.clock.now() + 900_000).toISOString());
  await context.close();
});
