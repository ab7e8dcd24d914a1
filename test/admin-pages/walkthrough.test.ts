// The whole gateway run from a browser, in one walk through Chromium (issue #14's "Done when"):
// setup wizard → admin login → add a real MCP backend through the server form → see its tools →
// grant a user → call a tool from the API test page → the row appears in live activity → that user
// signs in to the portal and creates a personal access token → the token works on /mcp/{server}
// (the SDK's client) → revoked in the portal → the next call is refused with 401.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { readSetupCode } from "../admin/web.ts";
import { INITIALIZE, postMessage, sdkClient } from "../gateway/helpers.ts";
import { launchBrowser, pageProblems } from "../support/browser.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const ADMIN = { username: "operator", email: "operator@example.test", password: "Correct-Horse-9" };
const ALICE = { username: "alice", email: "alice@example.test", password: "Staple-Battery-42" };

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;

beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

/** A context whose page records script errors, dialogs and console errors. */
async function watchedContext(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = pageProblems(page, { console: false });
  return { context, page, problems };
}

/** Submits the form around `button` and waits for the page it leads to. */
async function submit(page: Page, button: string) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

async function signIn(page: Page, who: { username: string; password: string }) {
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', who.username);
  await page.fill('input[name="password"]', who.password);
  await submit(page, 'button[type="submit"]');
}

async function initializeStatus(token: string): Promise<number> {
  const response = await postMessage(`${gateway.url}/mcp/notes`, INITIALIZE, {
    authorization: `Bearer ${token}`,
  });
  await response.body?.cancel();
  return response.status;
}

test(
  "Chromium walk-through: setup → login → add a backend → its tools → grant → API test call → live activity → portal token → used → revoked → 401",
  async () => {
    const admin = await watchedContext();
    const page = admin.page;
    const url = gateway.url;

    // The setup wizard: the first administrator, with the code from the data directory.
    await page.goto(`${url}/`);
    expect(new URL(page.url()).pathname).toBe("/setup");
    await page.fill('input[name="setup_code"]', readSetupCode(gateway));
    await page.fill('input[name="username"]', ADMIN.username);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.fill('input[name="password_confirm"]', ADMIN.password);
    await Promise.all([page.waitForURL(`${url}/admin/`), page.click('button[type="submit"]')]);
    expect(await page.locator("main h1").textContent()).toBe("Dashboard");

    // Log out, then the admin login.
    await Promise.all([page.waitForURL(`${url}/login`), page.click("text=Log out")]);
    await page.goto(`${url}/admin/`);
    await signIn(page, ADMIN);
    expect(page.url()).toBe(`${url}/admin/`);
    expect(await page.locator(".who strong").textContent()).toBe(ADMIN.username);

    // A user to grant the server to, created on the users page.
    await page.click('nav.admin-nav a[href="/admin/users"]');
    await page.fill('input[name="username"]', ALICE.username);
    await page.fill('input[name="email"]', ALICE.email);
    await page.fill('input[name="password"]', ALICE.password);
    await submit(page, 'form[action="/admin/users"][method="post"] button');
    expect(await page.locator(".notice").textContent()).toBe("User alice created.");

    // Add the backend through the server form.
    await page.click('nav.admin-nav a[href="/admin/servers"]');
    await page.click("text=Add a server");
    await page.fill('input[name="name"]', "notes");
    await page.fill('input[name="display_name"]', "Team notes");
    await page.selectOption('select[name="transport"]', "streamable-http");
    await page.fill('input[name="url"]', backend.url);
    await submit(page, 'form.server-form button:has-text("Add server")');
    expect(await page.locator("p.notice").textContent()).toBe("Server notes added.");
    expect(await page.locator("main h1").textContent()).toBe("Server notes");
    const created = gateway.app.decorator.gateway.registry.byName("notes");
    expect(created?.url).toBe(backend.url);

    // Its tools, discovered from the backend (the section loads by htmx).
    const echo = page.locator("tr[data-discovered=tool]").filter({ hasText: "echo" });
    await echo.first().waitFor();
    expect(await echo.first().locator("code").textContent()).toBe("echo");
    expect(await echo.first().textContent()).toContain("Echoes text");

    // Grant it to alice.
    await page.selectOption('#add-grant select[name="principal_type"]', "user");
    await page.fill('#add-grant input[name="principal"]', ALICE.username);
    await submit(page, '#add-grant button:has-text("Add grant")');
    expect(await page.locator("p.notice").textContent()).toBe("Granted to the user alice.");
    expect(await page.locator("tr[data-grant]").first().textContent()).toContain("User alice");

    // Live activity, open in a second tab while the tool is called.
    const activity = await admin.context.newPage();
    await activity.goto(`${url}/admin/activity`);
    await activity.waitForFunction(
      () => document.getElementById("activity-live-status")?.textContent === "following new requests",
    );

    // The API test page: pick the server and the tool, fill in the form made from its schema, call.
    await page.click('nav.admin-nav a[href="/admin/api-test"]');
    await page.selectOption('#api-test-server-form select[name="server"]', "notes");
    await submit(page, '#api-test-server-form button[type="submit"]');
    await page.selectOption('#api-test-tool-form select[name="tool"]', "echo");
    await submit(page, '#api-test-tool-form button[type="submit"]');
    await page.fill('input[name="arg.text"]', "hello from the walk-through");
    await page.click('#api-test-call-form button[type="submit"]');
    await page.locator("#api-test-outcome").waitFor();
    expect(await page.locator("#api-test-outcome").getAttribute("data-outcome")).toBe("result");
    // The raw JSON-RPC request and answer.
    const request = JSON.parse((await page.locator("#api-test-request").textContent()) ?? "");
    expect(request).toMatchObject({ method: "tools/call", params: { name: "echo" } });
    const reply = JSON.parse((await page.locator("#api-test-answer").textContent()) ?? "");
    expect(reply.result.content).toEqual([{ type: "text", text: "hello from the walk-through" }]);

    // The row appears in the live list of the other tab: the admin's tools/call of echo.
    const row = activity.locator("#activity-live-rows tr.activity-row").filter({ hasText: "tools/call" });
    await row.first().waitFor();
    expect(await row.first().locator("td.activity-target").textContent()).toBe("echo");
    expect(await row.first().textContent()).toContain(ADMIN.username);
    expect(admin.problems).toEqual([]);
    await admin.context.close();

    // alice signs in to the portal and creates a personal access token for the server.
    const user = await watchedContext();
    await user.page.goto(`${url}/portal/tokens`);
    await signIn(user.page, ALICE);
    expect(user.page.url()).toBe(`${url}/portal/tokens`);
    await user.page.fill('input[name="name"]', "laptop script");
    await user.page.check('input[name="scope"][value="selected"]');
    await user.page.check('input[name="server:notes"]');
    await submit(user.page, "text=Create token");
    const token = ((await user.page.locator("#new-token").textContent()) ?? "").trim();
    expect(token).toMatch(/^amcp_pat_/);

    // The token on /mcp/notes with the SDK's own client.
    const { client } = await sdkClient(`${url}/mcp/notes`, token);
    const answer = await client.callTool({ name: "echo", arguments: { text: "with my token" } });
    expect(answer.content).toEqual([{ type: "text", text: "with my token" }]);

    // Revoked in the portal: the next call is refused.
    await submit(user.page, 'table.tokens button:has-text("Revoke")');
    expect(await user.page.locator("main").textContent()).toContain("Token revoked");
    const refused = await client
      .callTool({ name: "echo", arguments: { text: "again" } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(await initializeStatus(token)).toBe(401);
    await client.close();
    expect(user.problems).toEqual([]);
    await user.context.close();
  },
  { timeout: 90_000 },
);
