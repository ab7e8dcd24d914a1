// A real MCP backend (the SDK's server) whose tool, resource and prompt names, titles, descriptions,
// input schemas, answers, error messages and token-endpoint refusals carry HTML, <script> and
// event-handler payloads, registered with a display name that carries one too. Every page that
// shows any of it renders it as text, in Chromium: the server list and page (discovered tools,
// resources and prompts; test connection, its error; the grant form's tool choices), tool pinning,
// the security audit, the API test page (tool, form from the schema, request and answer), MCP
// activity (stored and live), security events, the application log, backend tokens, the dashboard
// and the portal. Asserted: the payload's characters are in the page's text, no element or
// attribute came from it, no dialog opened, the sentinel global the payloads set stays unset, and
// the browser reported no Content-Security-Policy violation (an injected inline script or handler
// would cause one even though the CSP blocks it).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  sdkClient,
  tokenFor,
} from "../gateway/helpers.ts";
import { launchBrowser, pageProblems } from "../support/browser.ts";
import { STRONG_PASSWORD } from "../support/context.ts";
import {
  HOSTILE_ANSWER,
  HOSTILE_DESCRIPTION,
  HOSTILE_PROMPT,
  HOSTILE_PROPERTY,
  HOSTILE_PROPERTY_DESCRIPTION,
  HOSTILE_RESOURCE,
  HOSTILE_TITLE,
  HOSTILE_TOKEN_ERROR,
  HOSTILE_TOOL,
  type HostileBackend,
  PAYLOADS,
  startHostileBackend,
} from "../support/hostile-backend.ts";

const DISPLAY_NAME = `Hostile ${PAYLOADS.img}`;

let env: GatewayWithUsers;
let hostile: HostileBackend;
let browser: Browser;
let serverId: string;
let tokenServerId: string;
let client: Client;

beforeAll(async () => {
  env = await gatewayWithUsers();
  // Registered while it lists only `echo`: the hostile definitions then arrive as new, unapproved.
  hostile = await startHostileBackend({ revealed: false });
  const server = await createServer(env.gateway, env.setup.adminToken, {
    name: "hostile",
    display_name: DISPLAY_NAME,
    url: hostile.url,
    open_to_all: true,
    pinning_mode: "warn",
  });
  serverId = server.id;
  // A second server whose backend credential comes from the backend's hostile token endpoint.
  tokenServerId = (
    await createServer(env.gateway, env.setup.adminToken, {
      name: "hostile-token",
      url: hostile.url,
      credential: {
        type: "client_credentials",
        token_url: hostile.tokenUrl,
        client_id: "gateway",
        client_secret: "gateway-secret",
      },
    })
  ).id;
  hostile.reveal();
  // alice uses it: her calls are the activity rows and the pinning changes the pages show.
  const token = await tokenFor(env.gateway, "alice", "hostile");
  ({ client } = await sdkClient(`${env.gateway.url}/mcp/hostile`, token));
  const listed = await client.listTools();
  if (!listed.tools.some((tool) => tool.name === HOSTILE_TOOL))
    throw new Error("the hostile tool is not listed");
  await client.callTool({ name: HOSTILE_TOOL, arguments: {} });
  await client.listResources();
  await client.listPrompts();
  env.gateway.app.decorator.activity.queue?.flush();
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await client?.close();
  await browser?.close();
  await env?.close();
  await hostile?.close();
});

/** A page that records dialogs, script errors and CSP violations. */
async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(`${event.violatedDirective} ${event.sample}`);
    });
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = pageProblems(page, { console: false });
  return { page, problems };
}

/**
 * What the payloads would have put into the DOM had they been parsed as HTML: handler attributes,
 * inline scripts, the `x` image, the attribute-breaking payload's `x` attribute, a `<b>` element.
 */
function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const element of document.querySelectorAll("*")) {
      for (const name of element.getAttributeNames()) {
        // (`x` is an ordinary attribute of SVG shapes: the dashboard's chart has them.)
        const html = element.namespaceURI === "http://www.w3.org/1999/xhtml";
        if (name.startsWith("on") || (html && name === "x")) found.push(`${element.tagName} ${name}`);
      }
    }
    for (const script of document.querySelectorAll("script")) if (!script.src) found.push("inline script");
    for (const image of document.querySelectorAll('img[src="x"]')) found.push(image.outerHTML);
    for (const bold of document.querySelectorAll("b")) if (bold.textContent === "bold") found.push("b");
    const global = window as unknown as { __hostileRan?: string; __cspViolations?: string[] };
    if (global.__hostileRan !== undefined) found.push(`ran: ${global.__hostileRan}`);
    for (const violation of global.__cspViolations ?? []) found.push(`CSP: ${violation}`);
    return found;
  });
}

/** The page shows each of `texts` as text (in `scope`) and nothing was injected. */
async function expectShownAsText(page: Page, texts: string[], scope = "main") {
  const shown = (await page.locator(scope).first().textContent()) ?? "";
  for (const text of texts) expect(shown).toContain(text);
  expect(await injected(page)).toEqual([]);
}

async function signIn(page: Page, username: string, path: string) {
  await page.goto(`${env.gateway.url}${path}`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${env.gateway.url}${path}`), page.click('button[type="submit"]')]);
}

test(
  "Chromium: every admin page showing the hostile backend's names, descriptions and schemas renders them as text, and no script runs",
  async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems } = await watchedPage(context);
    const url = env.gateway.url;
    await signIn(page, "root", "/admin/servers");

    // The server list.
    await expectShownAsText(page, ["hostile"]);

    // The server's page, then "Test connection": the tools it lists, with their descriptions.
    const detail = await page.goto(`${url}/admin/servers/${serverId}`);
    expect(detail?.status()).toBe(200);
    // Its discovered tools, resources and prompts (a section htmx loads), each named as the backend has it.
    await page.waitForSelector("tr[data-discovered=prompt]");
    const discovered = async (kind: string) =>
      (await page.locator(`tr[data-discovered=${kind}]`).allTextContents()).join("\n");
    expect(await discovered("tool")).toContain(HOSTILE_TOOL);
    expect(await discovered("tool")).toContain(HOSTILE_DESCRIPTION);
    expect(await discovered("resource")).toContain(HOSTILE_RESOURCE);
    expect(await discovered("prompt")).toContain(HOSTILE_PROMPT);
    await expectShownAsText(page, [DISPLAY_NAME]);
    // Reloaded, the grant form offers the listed tools as choices: the hostile name is a value.
    await page.reload();
    const choices = page.locator("#add-grant input[type=checkbox]");
    const names = await choices.evaluateAll((inputs) => inputs.map((input) => input.getAttribute("name")));
    expect(names).toContain(`allow_tool:${HOSTILE_TOOL}`);
    expect(await injected(page)).toEqual([]);
    await Promise.all([page.waitForLoadState(), page.click('button:has-text("Test connection")')]);
    await page.waitForSelector(".server-test");
    await expectShownAsText(page, [HOSTILE_TOOL, HOSTILE_DESCRIPTION], ".server-test");

    // Tool pinning: the new definitions awaiting review, field by field.
    await page.goto(`${url}/admin/pinning`);
    const change = page.locator("li.pin-change").filter({ hasText: "run<img" }).first();
    expect(await change.getAttribute("data-name")).toBe(HOSTILE_TOOL);
    await expectShownAsText(page, [HOSTILE_TOOL, DISPLAY_NAME]);
    // Its fields: title and description as they are, the input schema as JSON.
    const fields = (await change.textContent()) ?? "";
    expect(fields).toContain(HOSTILE_TITLE);
    expect(fields).toContain(HOSTILE_DESCRIPTION);
    expect(fields).toContain(JSON.stringify(HOSTILE_PROPERTY));
    expect(fields).toContain(JSON.stringify(HOSTILE_PROPERTY_DESCRIPTION));

    // The security audit of the registered server: its findings quote the tool.
    await page.goto(`${url}/admin/audit`);
    await page.selectOption('select[name="server_id"]', serverId);
    await Promise.all([page.waitForLoadState(), page.click('button:has-text("Audit server")')]);
    await page.waitForSelector(".audit-report");
    await expectShownAsText(page, [HOSTILE_TOOL], ".audit-report");

    // The API test page: the tool to pick, its form made from the hostile schema, then the call's
    // request and answer.
    await page.goto(`${url}/admin/api-test`);
    await page.selectOption('#api-test-server-form select[name="server"]', "hostile");
    await Promise.all([page.waitForNavigation(), page.click('#api-test-server-form button[type="submit"]')]);
    await page.selectOption('#api-test-tool-form select[name="tool"]', HOSTILE_TOOL);
    await Promise.all([page.waitForNavigation(), page.click('#api-test-tool-form button[type="submit"]')]);
    expect(await page.locator("#api-test-tool code").textContent()).toBe(HOSTILE_TOOL);
    expect(await page.locator(".api-test-tool-description").textContent()).toBe(HOSTILE_DESCRIPTION);
    const field = page.locator("#api-test-call-form .api-test-field").first();
    expect(await field.getAttribute("data-argument")).toBe(HOSTILE_PROPERTY);
    expect(await field.locator("code").textContent()).toBe(HOSTILE_PROPERTY);
    expect(await field.locator(".api-test-description").textContent()).toBe(HOSTILE_PROPERTY_DESCRIPTION);
    await expectShownAsText(page, [HOSTILE_TITLE]);
    await page.locator("#api-test-arg-0").fill(HOSTILE_ANSWER);
    await page.click('#api-test-call-form button[type="submit"]');
    await page.locator("#api-test-outcome").waitFor();
    const exchange = (await page.locator("#api-test-result").textContent()) ?? "";
    expect(exchange).toContain(JSON.stringify(HOSTILE_ANSWER).slice(1, -1));
    expect(exchange).toContain(JSON.stringify(HOSTILE_TOOL).slice(1, -1));
    expect(await injected(page)).toEqual([]);

    // MCP activity: the stored history, then a row arriving live over SSE.
    await page.goto(`${url}/admin/activity`);
    const stored = page.locator("tr.activity-row td.activity-target").filter({ hasText: "run<img" });
    expect(await stored.first().textContent()).toBe(HOSTILE_TOOL);
    await expectShownAsText(page, [HOSTILE_TOOL]);
    await page.waitForFunction(
      () => document.getElementById("activity-live-status")?.textContent === "following new requests",
    );
    await client.callTool({ name: HOSTILE_TOOL, arguments: { [HOSTILE_TOOL]: HOSTILE_ANSWER } });
    const live = page.locator("#activity-live-rows td.activity-target");
    await live.first().waitFor();
    expect(await live.first().textContent()).toBe(HOSTILE_TOOL);
    await page.locator("#activity-live-rows tr.activity-row td").first().click();
    expect(await injected(page)).toEqual([]);

    // Security events: the tool_definition_changed event names the tool in its details.
    await page.goto(`${url}/admin/security`);
    const event = page.locator('tr[data-event-type="tool_definition_changed"]').first();
    await event.locator("summary").click();
    expect(await event.locator("pre").textContent()).toContain(JSON.stringify(HOSTILE_TOOL).slice(1, -1));
    expect(await injected(page)).toEqual([]);

    // The application log: the API test call's line names the tool in its fields (JSON).
    await page.goto(`${url}/admin/logs`);
    await expectShownAsText(page, ["admin API test call", JSON.stringify(HOSTILE_TOOL)]);

    // Backend tokens: "Refresh now" against the token endpoint shows its refusal, as text.
    await page.goto(`${url}/admin/backend-tokens`);
    const tokenRow = page.locator(`tr[data-server="${tokenServerId}"]`);
    await tokenRow.locator('button:has-text("Refresh now")').click();
    await tokenRow.filter({ hasText: HOSTILE_TOKEN_ERROR }).waitFor();
    await expectShownAsText(page, [HOSTILE_TOKEN_ERROR]);

    // The dashboard: the server's display name.
    await page.goto(`${url}/admin/`);
    await expectShownAsText(page, [DISPLAY_NAME]);

    // The backend now answers with an error whose message is HTML: "Test connection" shows the
    // exact error, as text; so do the pages showing the server's last error.
    const broken = `Backend broke: ${PAYLOADS.script}${PAYLOADS.img}`;
    hostile.fail(broken);
    await page.goto(`${url}/admin/servers/${serverId}`);
    await Promise.all([page.waitForLoadState(), page.click('button:has-text("Test connection")')]);
    await expectShownAsText(page, [broken], ".server-test");
    for (const path of ["/admin/servers", "/admin/"]) {
      await page.goto(`${url}${path}`);
      expect(await injected(page)).toEqual([]);
    }
    hostile.fail(undefined);

    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);

test("Chromium: the portal shows the hostile server's display name as text", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await signIn(page, "alice", "/portal/");
  await expectShownAsText(page, [DISPLAY_NAME, `${env.gateway.url}/mcp/hostile`]);
  expect(problems).toEqual([]);
  await context.close();
});

test("Chromium: the checks above see the payloads when a page parses them as HTML", async () => {
  const context = await browser.newContext();
  const { page, problems } = await watchedPage(context);
  await page.setContent(
    `<main>${Object.values(PAYLOADS).join("")}<p title='${PAYLOADS.attribute}'>x</p></main>`,
  );
  await page.waitForFunction(
    () => (window as unknown as { __hostileRan?: string }).__hostileRan !== undefined,
  );
  const found = await injected(page);
  expect(found).toContain("inline script");
  expect(found).toContain("IMG onerror");
  expect(found).toContain("svg onload");
  expect(found).toContain("P x");
  expect(found.some((line) => line.startsWith("ran: "))).toBe(true);
  expect(problems.some((line) => line.startsWith("dialog: "))).toBe(true);
  await context.close();
});
