// Every admin page (the navigation's ADMIN_PAGES, so pages added later are included), the detail
// pages of a user and a server, and every portal page (PORTAL_PAGES), in Chromium with some data
// in them: each answers 200 without a script error, a dialog or a console error, and stays usable
// in a 900 px window (nothing scrolls sideways). Screenshots (light scheme, 1280 px wide, and one
// at 900 px) go to docs/screenshots/, shown in the README's "Screenshots" section.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ADMIN_PAGES } from "../../views/admin/shell.tsx";
import { PORTAL_PAGES } from "../../views/portal/shell.tsx";
import { sdkClient, tokenFor } from "../gateway/helpers.ts";
import { launchBrowser, pageProblems, screenshotsDir } from "../support/browser.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { registerClient } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const SCREENSHOTS = screenshotsDir();
const WIDE = { width: 1280, height: 800 };
const NARROW = 900;

/**
 * Screenshots another browser test writes, at the moment of its walk that shows the page at its
 * most telling (a disabled user, an audit report, rows arriving live …): the `"name.png"` literals
 * in the other test files. This test still loads those pages and checks them; it only leaves their
 * picture to that test, so no file has two writers.
 */
function writtenElsewhere(): Set<string> {
  const names = new Set<string>();
  const root = join(import.meta.dir, "..");
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts") || join(root, file) === import.meta.path) continue;
    const text = readFileSync(join(root, file), "utf8");
    for (const match of text.matchAll(/["'`]([a-z0-9-]+)\.png["'`]/g)) names.add(match[1] as string);
  }
  return names;
}
const WRITTEN_ELSEWHERE = writtenElsewhere();

/** Pages shown with a query that fills them (the API test page with a tool picked). */
const QUERIES: Record<string, string> = { "/admin/api-test": "?server=notes&tool=echo" };

let gateway: ListeningGateway;
let backend: McpBackend;
let browser: Browser;
let aliceId: string;
let notesId: string;

beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway({ OAUTH_REGISTRATION_MODE: "approval" });
  await createUser(gateway, "root", { isAdmin: true });
  const alice = await createUser(gateway, "alice");
  aliceId = alice.id;
  for (const name of ["bob", "carol"]) await createUser(gateway, name);
  const { registry, policy, groups } = gateway.app.decorator.gateway;
  for (const [name, displayName] of [
    ["notes", "Team notes"],
    ["wiki", "Team wiki"],
  ] as const) {
    const created = await registry.create({ name, displayName, url: backend.url });
    if (!created.ok) throw new Error(created.message);
    if (name === "notes") notesId = created.server.id;
    policy.grantUser(created.server.id, alice.id);
  }
  const group = groups.create({ name: "engineering", description: "The engineers" });
  if (!group.ok) throw new Error(group.message);
  await registerClient(gateway, { client_name: "Claude Desktop" });
  gateway.ctx.personalTokens.create({
    userId: alice.id,
    name: "CI deploy",
    servers: ["notes"],
    expiresAt: null,
  });
  // Some traffic for the activity, the dashboard and the server's health.
  const { client } = await sdkClient(`${gateway.url}/mcp/notes`, await tokenFor(gateway, "alice", "notes"));
  for (const text of ["hello", "world"]) await client.callTool({ name: "echo", arguments: { text } });
  await client.listTools();
  await client.close();
  gateway.app.decorator.activity.queue?.flush();
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await backend?.close();
});

/** A light-scheme context signed in as `username`, and what its page reports going wrong. */
async function signedIn(
  username: string,
  path: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: WIDE, colorScheme: "light" });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = pageProblems(page);
  await page.goto(`${gateway.url}${path}`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', STRONG_PASSWORD);
  await Promise.all([page.waitForURL(`${gateway.url}${path}`), page.click('button[type="submit"]')]);
  return { context, page, problems };
}

/** The file name of a page's screenshot: `admin-users`, `admin-dashboard`, `portal-servers`. */
function shotName(area: "admin" | "portal", path: string, fallback: string): string {
  const rest = path.replace(`/${area}/`, "").replaceAll("/", "-");
  return `${area}-${rest || fallback}`;
}

/**
 * Loads `path`: 200, a heading, no sideways scrolling at 900 px; a screenshot at 1280 px unless
 * another test writes that one. Returns what went wrong, so every page is tried.
 */
async function visit(page: Page, path: string, name: string): Promise<string[]> {
  await page.setViewportSize(WIDE);
  const response = await page.goto(`${gateway.url}${path}`);
  const wrong: string[] = [];
  if (response?.status() !== 200) wrong.push(`${path}: ${response?.status()}`);
  if ((await page.locator("main h1").count()) !== 1) wrong.push(`${path}: no heading`);
  if (!WRITTEN_ELSEWHERE.has(name)) {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: NARROW, height: WIDE.height });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > NARROW) wrong.push(`${path}: ${width} px wide in a ${NARROW} px window`);
  return wrong;
}

test(
  "Chromium: every admin page, a user's and a server's page render (and fit 900 px); screenshots written",
  async () => {
    const { context, page, problems } = await signedIn("root", "/admin/");
    const wrong: string[] = [];
    for (const { path } of ADMIN_PAGES) {
      wrong.push(
        ...(await visit(page, `${path}${QUERIES[path] ?? ""}`, shotName("admin", path, "dashboard"))),
      );
    }
    wrong.push(...(await visit(page, `/admin/users/${aliceId}`, "admin-user")));
    wrong.push(...(await visit(page, `/admin/servers/${notesId}`, "admin-server")));
    // The same server page in a 900 px window.
    await page.screenshot({ path: join(SCREENSHOTS, "admin-server-narrow.png"), fullPage: true });
    expect(wrong).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 90_000 },
);

test(
  "Chromium: every portal page renders (and fits 900 px); screenshots written",
  async () => {
    const { context, page, problems } = await signedIn("alice", "/portal/");
    const wrong: string[] = [];
    for (const { path } of PORTAL_PAGES)
      wrong.push(...(await visit(page, path, shotName("portal", path, "servers"))));
    expect(wrong).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  },
  { timeout: 60_000 },
);
