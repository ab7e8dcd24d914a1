// /admin/logs without a browser: access (login redirect, 403), the recent lines with level and text
// filters, hostile text in log lines shown as text, secrets redacted, bad filters → 400, and the
// live stream's rows (server-rendered and escaped).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN_PAGES } from "../../views/admin/shell.tsx";
import { browserLogin, elementTexts, getPage, Jar, parseElements } from "../admin/web.ts";
import { accessLogged, eventsOf, openStream } from "../logs/helpers.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

const HOSTILE = `<img src=x onerror="alert('log')"><script>alert("x")</script>`;

let gateway: TestGateway;
let admin: Jar;
let alice: Jar;

const recentMessages = (html: string) => elementTexts(html, "#logs-recent-table td.log-msg");

beforeAll(async () => {
  gateway = await testGateway({ ADMIN_LOG_PAGE_LINES: "5" });
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  admin = new Jar();
  alice = new Jar();
  await browserLogin(gateway, admin, "root", STRONG_PASSWORD);
  await browserLogin(gateway, alice, "alice", STRONG_PASSWORD, "/portal/");
  await accessLogged(gateway, "/login", 2);
  const { logger } = gateway.ctx;
  logger.info({ path: "/mcp/notes" }, "request");
  logger.warn({ server: "notes", tool: HOSTILE }, `backend answered ${HOSTILE}`);
  logger.error({ server: "wiki", err: "ECONNREFUSED" }, "backend unreachable");
  logger.info({ password: "Pa55word-Never-Shown", user: "bob" }, "password seen");
});
afterAll(() => gateway?.close());

describe("access", () => {
  test("the page is in the admin's navigation", () => {
    expect(ADMIN_PAGES.some((p) => p.path === "/admin/logs")).toBe(true);
  });

  test("without a session: page and stream send the browser to sign in, and back", async () => {
    for (const path of ["/admin/logs", "/admin/logs?level=warn", "/admin/logs/stream"]) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      const location = response.headers.get("location") ?? "";
      expect(location.startsWith("/login?return_to=")).toBe(true);
      expect(decodeURIComponent(location.slice("/login?return_to=".length))).toBe(path);
    }
  });

  test("a signed-in person who is not an admin gets 403, page and stream, and sees no line", async () => {
    for (const path of ["/admin/logs", "/admin/logs/stream"]) {
      const { response, html } = await getPage(gateway, alice, path);
      expect(response.status).toBe(403);
      expect(html).not.toContain("backend");
    }
  });
});

describe("recent lines", () => {
  test("newest first, at most ADMIN_LOG_PAGE_LINES, hostile text shown as text, secrets redacted", async () => {
    const { response, html } = await getPage(gateway, admin, "/admin/logs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const messages = recentMessages(html);
    expect(messages.length).toBeLessThanOrEqual(5);
    expect(messages.slice(0, 3)).toEqual([
      "password seen",
      "backend unreachable",
      `backend answered ${HOSTILE}`,
    ]);
    // No element came from the log line: the markup is text.
    expect(parseElements(html, "main img")).toHaveLength(0);
    expect(parseElements(html, "main script").map((s) => s.src)).toEqual(["/static/live-rows.js"]);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("Pa55word-Never-Shown");
    const fields = elementTexts(html, "#logs-recent-table td.log-fields code");
    expect(fields).toContain(JSON.stringify({ password: "[redacted]", user: "bob" }));
    expect(fields).toContain(JSON.stringify({ server: "notes", tool: HOSTILE }));
    expect(parseElements(html, "#logs-recent-table tr.log-row").map((r) => r["data-level"])).toContain(
      "error",
    );
  });

  test("filters: level at or above, text in message or fields; kept in the form and the live stream's URL", async () => {
    const warn = await getPage(gateway, admin, "/admin/logs?level=warn");
    expect(recentMessages(warn.html)).toEqual(["backend unreachable", `backend answered ${HOSTILE}`]);
    expect(parseElements(warn.html, 'select[name="level"] option[selected]').map((o) => o.value)).toEqual([
      "warn",
    ]);
    const text = await getPage(gateway, admin, "/admin/logs?q=WIKI");
    expect(recentMessages(text.html)).toEqual(["backend unreachable"]);
    expect(parseElements(text.html, 'input[name="q"]')[0]?.value).toBe("WIKI");
    const both = await getPage(gateway, admin, "/admin/logs?level=error&q=notes");
    expect(recentMessages(both.html)).toEqual([]);
    expect(both.html).toContain("No log line matches.");
    expect(parseElements(both.html, "#logs-live")[0]?.["data-stream"]).toBe(
      "/admin/logs/stream?level=error&q=notes",
    );
  });

  test("bad filters → 400 with the problem named, shown back escaped, never a 500", async () => {
    const cases: [string, string][] = [
      ["level=loud", "level: expected one of"],
      ["limit=0", "limit: expected a whole number"],
      ["q=<b>x</b>&q=y", "parameter q is repeated"],
      ["%3Cb%3E=1", "unknown parameter &lt;b&gt;"],
    ];
    for (const [query, message] of cases) {
      const { response, html } = await getPage(gateway, admin, `/admin/logs?${query}`);
      expect(response.status).toBe(400);
      expect(html).toContain(message);
      expect(parseElements(html, "main b")).toHaveLength(0);
    }
  });
});

describe("live stream", () => {
  test("new lines passing the filters arrive as escaped table rows", async () => {
    const stream = await openStream(gateway, "/admin/logs/stream?level=warn", { cookie: admin.header() });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
      await stream.until("the opening comment", (t) => t.includes(": application log"));
      gateway.ctx.logger.info("below the level");
      gateway.ctx.logger.warn({ tool: HOSTILE }, `live ${HOSTILE}`);
      const text = await stream.until("the live line", (t) => t.includes("event: log"));
      const rows = eventsOf(text, "log") as string[];
      expect(rows).toHaveLength(1);
      const row = rows[0] ?? "";
      expect(row.startsWith('<tr class="log-row" data-level="warn"')).toBe(true);
      expect(elementTexts(`<table>${row}</table>`, "td.log-msg")).toEqual([`live ${HOSTILE}`]);
      expect(parseElements(`<table>${row}</table>`, "img, script")).toHaveLength(0);
      expect(text).not.toContain("below the level");
    } finally {
      stream.close();
    }
  });
});
