import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { createUser, jsonInit, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SCREENSHOTS = screenshotsDir();
const CAROL_PASSWORD = "Staple-Battery-42";

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;
let notesId: string;
beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  for (const name of ["alice", "bob", "dave"]) await createUser(gateway, name);
  const created = await gateway.app.decorator.gateway.registry.create({
    name: "notes",
    displayName: "Notes",
    url: backend.url,
  });
  if (!created.ok) throw new Error(created.message);
  notesId = created.server.id;
  const group = gateway.app.decorator.gateway.groups.create({ name: "engineering", description: "" });
  if (!group.ok) throw new Error(group.message);
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

async function initializeStatus(token: string): Promise<number> {
  const response = await postMessage(`${gateway.url}/mcp/notes`, INITIALIZE, {
    authorization: `Bearer ${token}`,
  });
  await response.body?.cancel();
  return response.status;
}

test("Chromium: create a user → they sign in and use a server → disable them → their token is refused at the next request → admin_change and sign-in events on the security page", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const problems = pageProblems(page, { console: false });

  await page.goto(`${gateway.url}/admin/users`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/users`), page.click('button[type="submit"]')]);
  expect(await page.locator("h1").textContent()).toBe("Users");

  // A weak password: the policy's error on the page, the other fields kept.
  await page.fill('input[name="username"]', "carol");
  await page.fill('input[name="email"]', "carol@example.test");
  await page.fill('input[name="password"]', "weak");
  await Promise.all([
    page.waitForLoadState(),
    page.click('form[action="/admin/users"][method="post"] button'),
  ]);
  expect(await page.locator(".errors li").first().textContent()).toStartWith("Password:");
  expect(await page.inputValue('input[name="username"]')).toBe("carol");
  await page.fill('input[name="password"]', CAROL_PASSWORD);
  await Promise.all([
    page.waitForLoadState(),
    page.click('form[action="/admin/users"][method="post"] button'),
  ]);
  expect(await page.locator("h1").textContent()).toBe("User carol");
  expect(await page.locator(".notice").textContent()).toBe("User carol created.");
  const carol = gateway.ctx.users.byUsername("carol");
  if (!carol) throw new Error("carol was not created");
  gateway.app.decorator.gateway.policy.grantUser(notesId, carol.id);

  // Carol signs in (a login_success event) and uses the server with her token.
  const signIn = await fetch(
    `${gateway.url}/auth/login`,
    jsonInit({ username: "carol", password: CAROL_PASSWORD, resource: `${gateway.url}/mcp/notes` }),
  );
  expect(signIn.status).toBe(200);
  const { access_token } = (await signIn.json()) as { access_token: string };
  expect(await initializeStatus(access_token)).toBe(200);

  await page.goto(`${gateway.url}/admin/users`);
  await page.screenshot({ path: join(SCREENSHOTS, "admin-users.png"), fullPage: true });
  await page.click(`a[href="/admin/users/${carol.id}"]`);
  // Into a group through the page, and a personal access token of hers to show (and revoke).
  await Promise.all([page.waitForLoadState(), page.click('form[action$="/groups"] button')]);
  expect(await page.locator(".notice").textContent()).toBe("Added to the group engineering.");
  gateway.ctx.personalTokens.create({ userId: carol.id, name: "ci", servers: ["notes"], expiresAt: null });
  await page.reload();
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Disable")')]);
  expect(await page.locator(".notice").textContent()).toContain("User disabled");
  expect(await page.locator("dl.facts .badge-off").textContent()).toBe("disabled");
  await page.screenshot({ path: join(SCREENSHOTS, "admin-user.png"), fullPage: true });
  // The very next request with her token is refused.
  expect(await initializeStatus(access_token)).toBe(401);

  await page.click('nav.admin-nav a[href="/admin/security"]');
  await page.waitForURL(`${gateway.url}/admin/security`);
  const types = await page
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-event-type")));
  expect(types).toContain("admin_change");
  expect(types).toContain("login_success");
  const details = await page.locator('tr[data-event-type="admin_change"] pre').allTextContents();
  expect(details.some((text) => text.includes(`/admin/users/${carol.id}/disable`))).toBe(true);
  expect(details.some((text) => text.includes('"password": "********"'))).toBe(true);
  expect(details.join("\n")).not.toContain(CAROL_PASSWORD);
  // Filter to carol's own events: her sign-in.
  await page.fill('input[name="user"]', "carol");
  await Promise.all([page.waitForLoadState(), page.click('.admin-filters button[type="submit"]')]);
  expect(new URL(page.url()).searchParams.get("user")).toBe("carol");
  const carols = await page
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-event-type")));
  expect(carols).toContain("login_success");
  await page.goto(`${gateway.url}/admin/security`);
  await page.locator('tr[data-event-type="admin_change"] summary').first().click();
  await page.screenshot({ path: join(SCREENSHOTS, "admin-security.png"), fullPage: true });
  expect(problems).toEqual([]);
  await context.close();
}, 60_000);
