import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SECRET = "browser-secret-Hq41m";
const SCREENSHOTS = screenshotsDir();

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;
beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

test("Chromium: add a server (fields follow the transport, errors next to fields) → its tools → grant → edit keeps the credential → delete", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = pageProblems(page, { console: false });
  const registry = gateway.app.decorator.gateway.registry;

  await page.goto(`${gateway.url}/admin/servers`);
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/servers`), page.click('button[type="submit"]')]);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/servers/new`), page.click("text=Add a server")]);

  // The fields follow the transport and the credential kind (a stylesheet, no script).
  expect(await page.isVisible('input[name="url"]')).toBe(true);
  expect(await page.isVisible('input[name="command"]')).toBe(false);
  expect(await page.isVisible('input[name="credential_token"]')).toBe(false);
  await page.selectOption('select[name="transport"]', "stdio");
  expect(await page.isVisible('input[name="url"]')).toBe(false);
  expect(await page.isVisible('input[name="command"]')).toBe(true);
  await page.selectOption('select[name="transport"]', "streamable-http");
  await page.selectOption('select[name="credential_type"]', "bearer");
  expect(await page.isVisible('input[name="credential_token"]')).toBe(true);
  expect(await page.isVisible('input[name="credential_client_secret"]')).toBe(false);

  // A bad name and timeout: each problem next to its field, the values kept, the secret not.
  await page.fill('input[name="name"]', "Notes Server");
  await page.fill('input[name="display_name"]', "Team notes");
  await page.fill('input[name="url"]', backend.url);
  await page.fill('input[name="credential_token"]', SECRET);
  await page.fill('input[name="timeout_ms"]', "5");
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Add server")')]);
  const nameError = page.locator('label:has(input[name="name"]) [data-error-for="name"]');
  expect(await nameError.textContent()).toContain("expected 1–32 of a-z");
  expect(
    await page.locator('label:has(input[name="timeout_ms"]) [data-error-for="timeout_ms"]').isVisible(),
  ).toBe(true);
  expect(await page.locator("[data-error-for]").count()).toBe(2);
  expect(await page.inputValue('input[name="name"]')).toBe("Notes Server");
  expect(await page.inputValue('input[name="display_name"]')).toBe("Team notes");
  expect(await page.inputValue('input[name="url"]')).toBe(backend.url);
  expect(await page.inputValue('input[name="credential_token"]')).toBe("");
  expect(await page.content()).not.toContain(SECRET);
  expect(registry.byName("notes")).toBeUndefined();
  await page.screenshot({ path: join(SCREENSHOTS, "admin-server-form.png"), fullPage: true });

  await page.fill('input[name="name"]', "notes");
  await page.fill('input[name="timeout_ms"]', "");
  await page.fill('input[name="credential_token"]', SECRET);
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Add server")')]);
  expect(await page.locator("main > p.notice").textContent()).toBe("Server notes added.");
  const id = registry.byName("notes")?.id as string;
  expect(id).toStartWith("srv_");

  // Its tools, listed by htmx into the page from the gateway's catalog.
  await page.waitForSelector('tr[data-discovered="tool"]');
  const tools = await page.locator('tr[data-discovered="tool"] code').allTextContents();
  expect(tools).toContain("echo");
  expect(backend.received.some((one) => one.headers.authorization === `Bearer ${SECRET}`)).toBe(true);

  // In the list with its health.
  await gateway.app.decorator.gateway.health.check(registry.byId(id)!);
  await page.goto(`${gateway.url}/admin/servers`);
  expect(await page.locator(`tr[data-server="${id}"] .badge`).first().textContent()).toContain("online");

  // Grant alice the echo tool only, chosen from the discovered tools.
  await page.goto(`${gateway.url}/admin/servers/${id}`);
  await page.fill('#add-grant input[name="principal"]', "alice");
  await page.check('#add-grant input[name="allow_tool:echo"]');
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Add grant")')]);
  expect(await page.locator("main > p.notice").textContent()).toBe("Granted to the user alice.");
  expect(await page.locator("tr[data-grant]").textContent()).toContain("only echo");

  // Edit without touching the credential: it is kept.
  await Promise.all([
    page.waitForURL(`${gateway.url}/admin/servers/${id}/edit`),
    page.click("a:has-text('Edit')"),
  ]);
  expect(await page.inputValue('select[name="credential_type"]')).toBe("keep");
  expect(await page.content()).not.toContain(SECRET);
  await page.fill('input[name="display_name"]', "Renamed notes");
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Save changes")')]);
  expect(await page.locator("main > p.notice").textContent()).toBe("Changes saved.");
  expect(registry.byId(id)?.displayName).toBe("Renamed notes");
  expect(await registry.credential(id)).toEqual({ kind: "bearer", token: SECRET });
  const before = backend.received.length;
  // htmx swaps in only the result (the page stays: the edit notice is still there).
  await page.click('button:has-text("Test connection")');
  expect(await page.locator("#test-result .server-test .notice").textContent()).toContain("tools listed");
  expect(await page.locator("main > p.notice").textContent()).toBe("Changes saved.");
  expect(backend.received.slice(before).some((one) => one.headers.authorization === `Bearer ${SECRET}`)).toBe(
    true,
  );

  // Delete, through its confirmation step.
  await Promise.all([
    page.waitForURL(`${gateway.url}/admin/servers/${id}/delete`),
    page.click("a:has-text('Delete')"),
  ]);
  expect(registry.byId(id)).toBeDefined();
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("Delete server")')]);
  expect(await page.locator("main > p.notice").textContent()).toBe("Server notes deleted.");
  expect(await page.locator(`tr[data-server="${id}"]`).count()).toBe(0);
  expect(registry.byId(id)).toBeUndefined();

  expect(problems).toEqual([]);
  await context.close();
}, 60_000);
