// /admin/api-test in Chromium: choose a server and a hostile backend's tool, call it (htmx swaps the
// result in), and nothing the backend wrote runs or becomes an element.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchBrowser, pageProblems } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { type ApiTestBackend, HOSTILE, startApiTestBackend } from "./api-test-fixtures.ts";

let gateway: ListeningGateway;
let backend: ApiTestBackend;
let browser: Browser;
beforeAll(async () => {
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
  backend = startApiTestBackend();
  const created = await gateway.app.decorator.gateway.registry.create({ name: "tools", url: backend.url });
  if (!created.ok) throw new Error(created.message);
});
afterAll(async () => {
  await browser?.close();
  await backend?.stop();
  await gateway?.close();
});

test("Chromium: choose a server and a hostile tool, call it; its text stays text, no script runs", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = pageProblems(page, { console: false });

  await page.goto(`${gateway.url}/admin/api-test`);
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/api-test`), page.click('button[type="submit"]')]);
  expect(await page.locator("h1").textContent()).toBe("API test");

  await page.selectOption('#api-test-server-form select[name="server"]', "tools");
  await Promise.all([page.waitForLoadState(), page.click("#api-test-server-form button")]);
  await page.selectOption('#api-test-tool-form select[name="tool"]', HOSTILE.tool);
  await Promise.all([page.waitForLoadState(), page.click("#api-test-tool-form button")]);

  expect(await page.locator("#api-test-tool code").textContent()).toBe(HOSTILE.tool);
  expect(await page.locator(".api-test-tool-description").textContent()).toBe(HOSTILE.description);
  expect(await page.locator(".api-test-field code").first().textContent()).toBe(HOSTILE.property);
  expect(await page.locator(".api-test-description").textContent()).toBe(HOSTILE.propertyDescription);
  expect(await page.locator("#api-test-arg-0").inputValue()).toBe(HOSTILE.choice);

  // The call through htmx: the page stays, the result is swapped in.
  const before = page.url();
  await page.selectOption('select[name="arg.choice"]', "plain");
  await page.click('#api-test-call-form button[type="submit"]');
  await page.locator("#api-test-outcome").waitFor();
  expect(page.url()).toBe(before);
  expect(await page.locator("#api-test-outcome").getAttribute("data-outcome")).toBe("result");
  expect(await page.locator("#api-test-answer").textContent()).toContain(JSON.stringify(HOSTILE.answer));
  expect(backend.calls.at(-1)?.arguments).toEqual({ [HOSTILE.property]: HOSTILE.choice, choice: "plain" });
  // The values stay in the form after the swap.
  expect(await page.locator('select[name="arg.choice"]').inputValue()).toBe("plain");

  // Nothing the backend wrote became an element or ran.
  expect(await page.locator("main img, main script, main i, main b").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(problems).toEqual([]);
  await context.close();
});

test("Chromium without scripts: the form posts as a full page and shows a field's error", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${gateway.url}/admin/api-test?server=tools&tool=shape`);
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForLoadState(), page.click('button[type="submit"]')]);
  expect(new URL(page.url()).pathname).toBe("/admin/api-test");
  const calls = backend.calls.length;
  await page.fill('input[name="arg.text"]', "typed");
  await page.fill('input[name="arg.count"]', "many");
  await Promise.all([page.waitForLoadState(), page.click('#api-test-call-form button[type="submit"]')]);
  expect(await page.locator(".api-test-field[data-argument='count'] .api-test-error").textContent()).toBe(
    "Not a number.",
  );
  expect(await page.locator('input[name="arg.text"]').inputValue()).toBe("typed");
  expect(backend.calls.length).toBe(calls);

  await page.fill('input[name="arg.count"]', "7");
  await Promise.all([page.waitForLoadState(), page.click('#api-test-call-form button[type="submit"]')]);
  expect(await page.locator("#api-test-outcome").getAttribute("data-outcome")).toBe("result");
  expect(backend.calls.at(-1)?.arguments).toEqual({ text: "typed", count: 7, loud: false, mode: "fast" });
  await context.close();
});
