import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, ConsoleMessage } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { readSetupCode } from "./web.ts";

const ADMIN = { username: "first-admin", email: "first@example.test", password: "Correct-Horse-9" };
export const DASHBOARD_SCREENSHOT = "/tmp/authmcp-admin-dashboard.png";

let gateway: ListeningGateway;
let browser: Browser;
beforeAll(async () => {
  gateway = await listeningGateway();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

test(
  "a real browser: / → setup wizard → dashboard → logout → login again",
  async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message: ConsoleMessage) => {
      // The 400/401/404 pages this walk provokes on purpose are logged by Chromium as errors too.
      const expected = /^Failed to load resource: .* status of (400|401|404) /.test(message.text());
      if (message.type() === "error" && !expected) problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(String(error)));

    // A server exists before the admin does (the dashboard lists it with its URL).
    await gateway.app.decorator.gateway.registry.create({
      name: "notes",
      displayName: '<b>Notes</b> "&',
      url: "http://127.0.0.1:9/mcp",
    });
    await page.goto(`${gateway.url}/`);
    expect(new URL(page.url()).pathname).toBe("/setup");
    expect(await page.locator("h1").textContent()).toBe("Welcome");

    // A wrong setup code: the form comes back with the message, nothing is created.
    await page.fill('input[name="setup_code"]', "WRONG-CODE");
    await page.fill('input[name="username"]', ADMIN.username);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.fill('input[name="password_confirm"]', ADMIN.password);
    await page.click('button[type="submit"]');
    expect(await page.locator(".errors").textContent()).toContain("Setup code: not the code in force.");
    expect(gateway.ctx.users.list()).toHaveLength(0);

    // The code as the person at the console reads it (the file in the data directory; the log says the same).
    await page.fill('input[name="setup_code"]', readSetupCode(gateway));
    // A mismatched confirmation first: the form comes back with the message and the values kept.
    await page.fill('input[name="username"]', ADMIN.username);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.fill('input[name="password_confirm"]', "Something-Else-1");
    await page.click('button[type="submit"]');
    expect(await page.locator(".errors").textContent()).toContain("The two passwords do not match.");
    expect(await page.inputValue('input[name="username"]')).toBe(ADMIN.username);

    await page.fill('input[name="password"]', ADMIN.password);
    await page.fill('input[name="password_confirm"]', ADMIN.password);
    await Promise.all([page.waitForURL(`${gateway.url}/admin/`), page.click('button[type="submit"]')]);
    expect(await page.locator("h1").textContent()).toBe("Dashboard");
    expect(await page.locator(".who strong").textContent()).toBe(ADMIN.username);
    expect(await page.locator(".servers .server-url").textContent()).toBe(`${gateway.url}/mcp/notes`);
    expect(await page.locator(".servers h3").textContent()).toBe('<b>Notes</b> "&');
    // The client configurations open on a click.
    const snippet = page.locator('[data-server="notes"] pre.snippet').first();
    expect(await snippet.isVisible()).toBe(false);
    await page.click('[data-server="notes"] summary');
    expect(await snippet.textContent()).toBe(
      `claude mcp add --transport http notes ${gateway.url}/mcp/notes`,
    );

    // The page is styled by the static CSS and htmx loaded and configured under the strict CSP.
    const styled = await page.evaluate(
      () => getComputedStyle(document.querySelector(".card") as Element).borderRadius,
    );
    expect(styled).toBe("8px");
    const htmx = await page.evaluate(() => {
      const w = window as unknown as {
        htmx?: { version: string; config: { includeIndicatorStyles: boolean } };
      };
      return w.htmx ? { version: w.htmx.version, indicators: w.htmx.config.includeIndicatorStyles } : null;
    });
    expect(htmx).toEqual({ version: "2.0.11", indicators: false });
    await page.screenshot({ path: DASHBOARD_SCREENSHOT, fullPage: true });

    // On a phone-sized screen the endpoint URLs keep a usable width and nothing scrolls sideways.
    await page.setViewportSize({ width: 380, height: 800 });
    const narrow = await page.evaluate(() => ({
      url: (document.querySelector("dl.endpoints dd") as HTMLElement).getBoundingClientRect().width,
      page: document.documentElement.scrollWidth,
    }));
    expect(narrow.url).toBeGreaterThan(250);
    expect(narrow.page).toBeLessThanOrEqual(380);
    await page.setViewportSize({ width: 1280, height: 720 });

    // The session cookie is HttpOnly: page script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe("");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "authmcp_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });

    // The wizard is gone.
    const again = await page.goto(`${gateway.url}/setup`);
    expect(again?.status()).toBe(404);

    await page.goto(`${gateway.url}/admin/`);
    await Promise.all([page.waitForURL(`${gateway.url}/login`), page.click("text=Log out")]);
    expect(await page.locator("h1").textContent()).toBe("Sign in");
    expect((await context.cookies()).some((c) => c.name === "authmcp_session")).toBe(false);

    // Logged out: / leads to the login page, which brings the admin back to the dashboard.
    await page.goto(`${gateway.url}/`);
    expect(page.url()).toBe(`${gateway.url}/login?return_to=/admin/`);
    // What a person types is in the regular weight, not the semi-bold of its label.
    expect(
      await page.evaluate(
        () => getComputedStyle(document.querySelector('input[name="username"]') as Element).fontWeight,
      ),
    ).toBe("400");
    await page.fill('input[name="username"]', ADMIN.username);
    await page.fill('input[name="password"]', "Wrong-Horse-9");
    await page.click('button[type="submit"]');
    expect(await page.locator(".errors").textContent()).toContain("Invalid username or password.");
    await page.fill('input[name="password"]', ADMIN.password);
    await Promise.all([page.waitForURL(`${gateway.url}/admin/`), page.click('button[type="submit"]')]);
    expect(await page.locator(".who strong").textContent()).toBe(ADMIN.username);

    // Nothing was blocked by the CSP and no script failed.
    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);
