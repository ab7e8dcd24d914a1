import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ClientStore } from "../../src/oauth/client-store.ts";
import { launchBrowser } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { REDIRECT } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

let gateway: ListeningGateway;
let browser: Browser;
beforeAll(async () => {
  gateway = await listeningGateway();
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

test("Chromium: pre-register a client → its secret shown once → gone from the list → delete it", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));

  await page.goto(`${gateway.url}/admin/clients`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/clients`), page.click('button[type="submit"]')]);
  expect(await page.locator("h1").textContent()).toBe("OAuth clients");

  await page.fill('input[name="client_name"]', "<b>Build bot</b>");
  await page.fill('textarea[name="redirect_uris"]', REDIRECT);
  await page.selectOption('select[name="token_endpoint_auth_method"]', "client_secret_post");
  await Promise.all([page.waitForLoadState(), page.click('form[action="/admin/clients"] button')]);
  const secret = (await page.locator("code.client-secret").textContent()) as string;
  expect(secret.length).toBeGreaterThan(20);
  const stored = new ClientStore(gateway.ctx.db).list();
  expect(stored).toHaveLength(1);
  // The name is shown as typed, as text.
  expect(await page.locator(`tr[data-client="${stored[0]?.clientId}"] td`).first().textContent()).toBe(
    "<b>Build bot</b>",
  );

  await Promise.all([page.waitForLoadState(), page.click('nav.admin-nav a[href="/admin/clients"]')]);
  expect(await page.locator("code.client-secret").count()).toBe(0);
  expect(await page.content()).not.toContain(secret);

  await Promise.all([page.waitForLoadState(), page.click('form[action$="/delete"] button')]);
  expect(await page.locator(".notice").textContent()).toContain("every token issued to it is revoked");
  expect(await page.locator("tr[data-client]").count()).toBe(0);
  expect(new ClientStore(gateway.ctx.db).list()).toHaveLength(0);
  expect(problems).toEqual([]);
  await context.close();
});
