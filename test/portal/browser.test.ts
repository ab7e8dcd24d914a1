import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { INITIALIZE, postMessage, sdkClient } from "../gateway/helpers.ts";
import { launchBrowser, screenshotsDir } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { obtainCode, pkcePair, registerClient } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SCREENSHOTS = screenshotsDir();
const HOSTILE_NAME = `<img src=x onerror="alert('name')"><script>alert("x")</script> Notes`;

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;
beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  const alice = await createUser(gateway, "alice");
  const { registry, policy } = gateway.app.decorator.gateway;
  for (const [name, displayName, granted] of [
    ["notes", HOSTILE_NAME, true],
    ["wiki", "Team wiki", true],
    ["payroll", "Payroll", false],
  ] as const) {
    const created = await registry.create({ name, displayName, url: backend.url });
    if (!created.ok) throw new Error(created.message);
    if (granted) policy.grantUser(created.server.id, alice.id);
  }
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

/** A browser context whose page records console errors, failed scripts and any dialog. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    // The wrong-password form this walk posts on purpose answers 400, which Chromium logs too.
    const expected = /^Failed to load resource: .* status of 400 /.test(message.text());
    if (message.type() === "error" && !expected) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("dialog", async (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return { page, problems };
}

async function initializeStatus(server: string, token: string): Promise<number> {
  const response = await postMessage(`${gateway.url}/mcp/${server}`, INITIALIZE, {
    authorization: `Bearer ${token}`,
  });
  await response.body?.cancel();
  return response.status;
}

test(
  "Chromium: sign in → the portal shows the granted servers only → create a token → it works with the SDK client on its server only → revoke → 401",
  async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const { page, problems } = await watchedPage(context);

    // Without a session the portal sends the person to sign in, then back.
    await page.goto(`${gateway.url}/portal/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill('input[name="username"]', "alice");
    await page.fill('input[name="password"]', STRONG_PASSWORD);
    await Promise.all([page.waitForURL(`${gateway.url}/portal/`), page.click('button[type="submit"]')]);
    expect(await page.locator("h1").textContent()).toBe("Your MCP servers");

    // Only the granted servers, each at its URL; the hostile name is text (no dialog ran).
    const servers = page.locator("article.server");
    expect(await servers.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-server")))).toEqual([
      "notes",
      "wiki",
    ]);
    expect(await page.locator('[data-server="notes"] h3').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('[data-server="notes"] img').count()).toBe(0);
    expect(await page.locator('[data-server="notes"] .server-url').textContent()).toBe(
      `${gateway.url}/mcp/notes`,
    );
    expect(await page.locator(".aggregate-url").textContent()).toBe(`${gateway.url}/mcp`);
    expect(await page.content()).not.toContain("/mcp/payroll");
    await page.click('[data-server="wiki"] summary');
    expect(await page.locator('[data-server="wiki"] pre.snippet').first().textContent()).toBe(
      `claude mcp add --transport http wiki ${gateway.url}/mcp/wiki`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, "portal-servers.png"), fullPage: true });

    // A narrow window: nothing scrolls sideways.
    await page.setViewportSize({ width: 380, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
    await page.screenshot({ path: join(SCREENSHOTS, "portal-servers-narrow.png") });
    await page.setViewportSize({ width: 1100, height: 800 });

    // Create a token for "notes" only.
    await page.click("nav.portal-nav >> text=Access tokens");
    await page.waitForURL(`${gateway.url}/portal/tokens`);
    await page.fill('input[name="name"]', "CI <deploy> job");
    await page.check('input[name="scope"][value="selected"]');
    await page.check('input[name="server:notes"]');
    await page.selectOption('select[name="expires_in_days"]', "90");
    await page.click("text=Create token");
    await page.waitForSelector("#new-token");
    const token = ((await page.locator("#new-token").textContent()) ?? "").trim();
    expect(token).toMatch(/^amcp_pat_[A-Za-z0-9_-]{43}$/);
    expect(await page.locator("table.tokens td").first().textContent()).toBe("CI <deploy> job");
    await page.screenshot({ path: join(SCREENSHOTS, "portal-tokens.png"), fullPage: true });

    // The SDK client with the token: the backend answers through the gateway.
    const { client } = await sdkClient(`${gateway.url}/mcp/notes`, token);
    const result = await client.callTool({ name: "echo", arguments: { text: "from a PAT" } });
    expect(JSON.stringify(result.content)).toContain("from a PAT");
    // Not on a granted server the token does not name, nor on one the user may not use.
    expect(await initializeStatus("wiki", token)).toBe(401);
    expect(await initializeStatus("payroll", token)).toBe(401);

    // Revoke in the page: the very next call is refused.
    await page.click('table.tokens button:has-text("Revoke")');
    await page.waitForSelector("text=Token revoked");
    expect(await page.locator("table.tokens").count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    const refused = await client.callTool({ name: "echo", arguments: { text: "again" } }).catch((e) => e);
    expect(String(refused)).toContain("the personal access token is invalid, expired or revoked");
    expect(await initializeStatus("notes", token)).toBe(401);
    await client.close();

    // A connected application (an OAuth client alice allowed) and the account page.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const csrf = (await page.locator('input[name="_csrf"]').first().getAttribute("value")) as string;
    const registered = await registerClient(gateway, { client_name: "Claude <Desktop>" });
    const { challenge } = await pkcePair();
    await obtainCode(
      gateway,
      { cookie, csrf },
      {
        client_id: registered.client_id,
        code_challenge: challenge,
        resource: `${gateway.url}/mcp/wiki`,
        scope: "mcp",
      },
    );
    await page.click("nav.portal-nav >> text=Connected applications");
    await page.waitForURL(`${gateway.url}/portal/applications`);
    expect(await page.locator("table.applications strong").textContent()).toBe("Claude <Desktop>");
    await page.screenshot({ path: join(SCREENSHOTS, "portal-applications.png"), fullPage: true });

    await page.click("nav.portal-nav >> text=Account");
    await page.waitForURL(`${gateway.url}/portal/account`);
    await page.fill('input[name="current_password"]', "Wrong-Horse-1");
    await page.fill('input[name="new_password"]', "Fresh-Horse-42");
    await page.fill('input[name="new_password_confirm"]', "Fresh-Horse-42");
    await page.click('button:has-text("Change password")');
    expect(await page.locator(".errors").textContent()).toContain("The current password is not correct.");
    await page.screenshot({ path: join(SCREENSHOTS, "portal-account.png"), fullPage: true });

    // Light and dark follow the system.
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${gateway.url}/portal/`);
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe("rgb(18, 22, 29)");
    await page.screenshot({ path: join(SCREENSHOTS, "portal-servers-dark.png"), fullPage: true });

    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);
