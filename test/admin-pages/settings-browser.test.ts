import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

let gateway: ListeningGateway;
let browser: Browser;
beforeAll(async () => {
  gateway = await listeningGateway({ RATE_LIMIT_TOKEN_MAX: "" });
  browser = await launchBrowser();
  await createUser(gateway, "root", { isAdmin: true });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

test("Chromium: edit a setting → saved and in force; a bad value → error by the field; rotate the signing key → new kid in the JWKS", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));

  await page.goto(`${gateway.url}/admin/settings`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', "root");
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}/admin/settings`), page.click('button[type="submit"]')]);
  expect(await page.locator("h1").textContent()).toBe("Settings");
  // A setting the environment fixes has no field, only its value and source.
  expect(await page.locator('input[name="rateLimitLoginMax"]').count()).toBe(0);
  expect(await page.locator('tr[data-setting="rateLimitLoginMax"] .setting-source').textContent()).toContain(
    "environment",
  );

  await page.fill('input[name="rateLimitTokenMax"]', "33");
  await page.selectOption('select[name="oauthRegistrationMode"]', "approval");
  await Promise.all([page.waitForURL(/done=saved/), page.click(".settings-form button[type=submit]")]);
  expect(await page.locator(".notice").textContent()).toContain("Settings saved");
  expect(await page.inputValue('input[name="rateLimitTokenMax"]')).toBe("33");
  expect(await page.locator('tr[data-setting="rateLimitTokenMax"] .setting-source').textContent()).toContain(
    "changed here",
  );
  expect(gateway.ctx.config.rateLimitTokenMax).toBe(33);
  expect(gateway.ctx.config.oauthRegistrationMode).toBe("approval");

  // Outside the bounds: the form comes back with the error by the field and the typed value.
  await page.fill('input[name="refreshTokenDays"]', "999");
  await page.evaluate(() => {
    for (const input of document.querySelectorAll("input")) input.removeAttribute("max");
  });
  await Promise.all([page.waitForLoadState(), page.click(".settings-form button[type=submit]")]);
  expect(await page.locator('[data-error-for="refreshTokenDays"]').textContent()).toContain(
    "expected a whole number from 1 to 365",
  );
  expect(await page.inputValue('input[name="refreshTokenDays"]')).toBe("999");
  expect(gateway.ctx.config.refreshTokenDays).toBe(7);

  const oldKid = gateway.ctx.keys.signingKey().kid;
  await Promise.all([
    page.waitForURL(/rotated=1/),
    page.click('form[action="/admin/settings/rotate-key"] button'),
  ]);
  const notice = (await page.locator(".notice").textContent()) as string;
  const newKid = gateway.ctx.keys.signingKey().kid;
  expect(newKid).not.toBe(oldKid);
  expect(notice).toContain(newKid);
  expect(await page.locator(`tr[data-kid="${newKid}"]`).textContent()).toContain("active");
  expect(await page.locator(`tr[data-kid="${oldKid}"]`).textContent()).toContain("retired, still verifying");

  await page.goto(`${gateway.url}/.well-known/jwks.json`);
  const jwks = JSON.parse((await page.locator("body").textContent()) as string) as {
    keys: { kid: string }[];
  };
  expect(jwks.keys.map((k) => k.kid)).toContain(newKid);
  expect(jwks.keys.map((k) => k.kid)).toContain(oldKid);
  expect(problems).toEqual([]);
  await context.close();
});
