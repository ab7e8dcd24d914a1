// /admin/activity without a browser: access (login / 403), the stored history with filters and
// server-side pagination, everything escaped, bad filters → 400, and the live stream's rows.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { browserLogin, elementTexts, getPage, Jar, parseElements } from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

const HOSTILE_TOOL = `<img src=x onerror="alert('tool')"><script>alert(1)</script>`;
const HOSTILE_SERVER = `<b>srv</b>&"'`;

let gateway: TestGateway;
let admin: Jar;
let alice: Jar;
let aliceId = "";
let rootId = "";

function row(overrides: Partial<McpActivity>): McpActivity {
  return {
    at: Date.now(),
    userId: null,
    clientId: "client-1",
    server: "notes",
    endpoint: "server",
    sessionId: "s-1",
    method: "tools/call",
    target: "echo",
    outcome: "ok",
    httpStatus: 200,
    rpcErrorCode: null,
    latencyMs: 12,
    requestBytes: 80,
    responseBytes: 120,
    ip: "127.0.0.1",
    ...overrides,
  };
}

const historyTargets = (html: string) => elementTexts(html, "#activity-history-table td.activity-target");

beforeAll(async () => {
  gateway = await testGateway();
  rootId = (await createUser(gateway, "root", { isAdmin: true })).id;
  aliceId = (await createUser(gateway, "alice")).id;
  admin = new Jar();
  alice = new Jar();
  await browserLogin(gateway, admin, "root", STRONG_PASSWORD);
  await browserLogin(gateway, alice, "alice", STRONG_PASSWORD, "/portal/");
  const base = Date.now() - 3_600_000;
  // 60 rows of alice on "notes" (targets t0 … t59, t59 newest), then the special ones, newer.
  for (let i = 0; i < 60; i++) {
    gateway.ctx.activity.record(row({ at: base + i * 1000, userId: aliceId, target: `t${i}` }));
  }
  gateway.ctx.activity.record(
    row({ at: base + 100_000, userId: rootId, server: HOSTILE_SERVER, target: HOSTILE_TOOL }),
  );
  gateway.ctx.activity.record(
    row({
      at: base + 101_000,
      userId: rootId,
      method: "tools/list",
      target: null,
      outcome: "error",
      httpStatus: 502,
    }),
  );
  gateway.ctx.activity.record(
    row({ at: base + 102_000, userId: aliceId, target: "secret", outcome: "denied", httpStatus: 403 }),
  );
});
afterAll(async () => {
  await gateway?.close();
});

describe("access", () => {
  test("without a session: the page and its stream send the browser to sign in, and back", async () => {
    for (const path of ["/admin/activity", "/admin/activity?server=notes", "/admin/activity/stream"]) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      const location = response.headers.get("location") ?? "";
      expect(location.startsWith("/login?return_to=")).toBe(true);
      expect(decodeURIComponent(location.slice("/login?return_to=".length))).toBe(path);
    }
  });

  test("a signed-in person who is not an admin gets 403, page and stream, and sees no row", async () => {
    for (const path of ["/admin/activity", "/admin/activity/stream"]) {
      const { response, html } = await getPage(gateway, alice, path);
      expect(response.status).toBe(403);
      expect(html).not.toContain("t59");
    }
  });
});

describe("history", () => {
  test("the newest rows first, a page at a time, with links to the other pages", async () => {
    const first = await getPage(gateway, admin, "/admin/activity");
    expect(first.response.status).toBe(200);
    const targets = historyTargets(first.html);
    expect(targets.length).toBe(50);
    expect(targets.slice(0, 4)).toEqual(["secret", "", HOSTILE_TOOL, "t59"]);
    expect(elementTexts(first.html, ".activity-history .hint")).toEqual([
      "63 requests, newest first, as the page loaded.",
    ]);
    expect(parseElements(first.html, '.pagination a[rel="next"]').map((a) => a.href)).toEqual([
      "/admin/activity?page=2",
    ]);
    const second = await getPage(gateway, admin, "/admin/activity?page=2");
    expect(historyTargets(second.html)).toEqual(Array.from({ length: 13 }, (_, i) => `t${12 - i}`));
    expect(parseElements(second.html, '.pagination a[rel="prev"]').map((a) => a.href)).toEqual([
      "/admin/activity",
    ]);
    expect(parseElements(second.html, '.pagination a[rel="next"]')).toEqual([]);
  });

  test("names from backends and admins are text: no element is made of them", async () => {
    const { html } = await getPage(gateway, admin, "/admin/activity");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).not.toContain("<b>srv</b>");
    expect(parseElements(html, "main script").map((s) => s.src)).toEqual([
      "/static/live-rows.js",
      "/static/activity.js",
    ]);
    expect(elementTexts(html, "#activity-history-table td.activity-server")[2]).toBe(HOSTILE_SERVER);
    // The hostile server name is also an option of the server filter, as text.
    const filtered = await getPage(
      gateway,
      admin,
      `/admin/activity?server=${encodeURIComponent(HOSTILE_SERVER)}`,
    );
    expect(historyTargets(filtered.html)).toEqual([HOSTILE_TOOL]);
    expect(elementTexts(filtered.html, 'select[name="server"] option[selected]')).toEqual([HOSTILE_SERVER]);
  });

  test("filters: user by name, server, method, outcome; combined; an unknown user matches nothing", async () => {
    const targetsFor = async (query: string) =>
      historyTargets((await getPage(gateway, admin, `/admin/activity?${query}`)).html);
    expect(await targetsFor("user=root")).toEqual(["", HOSTILE_TOOL]);
    expect(await targetsFor("user=ROOT&method=tools%2Flist")).toEqual([""]);
    expect(await targetsFor("outcome=denied")).toEqual(["secret"]);
    expect(await targetsFor("outcome=error")).toEqual([""]);
    expect(await targetsFor("user=alice&outcome=ok&server=notes&page=2")).toEqual(
      Array.from({ length: 10 }, (_, i) => `t${9 - i}`),
    );
    // Empty fields (what a GET form sends for "any") filter nothing.
    expect((await targetsFor("user=&server=&method=&outcome=")).length).toBe(50);
    const unknown = await getPage(gateway, admin, "/admin/activity?user=%3Cnobody%3E");
    expect(unknown.response.status).toBe(200);
    expect(elementTexts(unknown.html, ".activity-history .empty")).toEqual(["No user is named <nobody>."]);
    // The filter form keeps what was asked, and the pages' links keep the filters.
    const kept = await getPage(gateway, admin, "/admin/activity?user=alice");
    expect(parseElements(kept.html, 'input[name="user"]')[0]?.value).toBe("alice");
    expect(parseElements(kept.html, '.pagination a[rel="next"]')[0]?.href).toBe(
      "/admin/activity?user=alice&page=2",
    );
    expect(parseElements(kept.html, "#activity-live")[0]?.["data-stream"]).toBe(
      "/admin/activity/stream?user=alice",
    );
  });

  test("bad filters are a 400 page naming the problem, never a 500", async () => {
    for (const [query, words] of [
      ["outcome=fine", "The outcome filter must be one of ok, error, denied, rate_limited."],
      ["page=0", "The page must be a whole number"],
      ["page=abc", "The page must be a whole number"],
      [`method=${"m".repeat(201)}`, "The method filter is longer than 200 characters."],
    ] as const) {
      const { response, html } = await getPage(gateway, admin, `/admin/activity?${query}`);
      expect(response.status).toBe(400);
      expect(html).toContain(words);
    }
  });

  test("without JavaScript the page is the filter form and the history; the live list waits hidden for the script", async () => {
    const { html } = await getPage(gateway, admin, "/admin/activity");
    expect(parseElements(html, "form.activity-filters").map((f) => [f.method, f.action])).toEqual([
      ["get", "/admin/activity"],
    ]);
    const live = parseElements(html, "#activity-live")[0];
    expect(live?.hidden).toBe("");
    expect(live?.["data-max-rows"]).toBe("200");
    // Each row's details open without script.
    expect(elementTexts(html, "#activity-history-table tr.activity-row details summary")[0]).toBe("Details");
  });
});

describe("live stream", () => {
  test("each new row that passes the filters arrives as a server-rendered, escaped table row", async () => {
    const controller = new AbortController();
    const response = await gateway.request("/admin/activity/stream?server=notes&outcome=error", {
      headers: { cookie: admin.header() },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes(": mcp activity")) text += decoder.decode((await reader.read()).value);
    // Filtered out: another server, another outcome. Passes: notes + error, with a hostile target.
    gateway.ctx.activity.record(row({ server: "wiki", outcome: "error", target: "other-server" }));
    gateway.ctx.activity.record(row({ outcome: "ok", target: "ok-row" }));
    gateway.ctx.activity.record(
      row({ userId: aliceId, outcome: "error", target: HOSTILE_TOOL, httpStatus: 502 }),
    );
    while (!text.includes("event: activity")) text += decoder.decode((await reader.read()).value);
    controller.abort();
    const events = text.split("\n").filter((line) => line.startsWith("data: "));
    expect(events.length).toBe(1);
    const html = JSON.parse((events[0] as string).slice("data: ".length)) as string;
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>");
    expect(elementTexts(`<table>${html}</table>`, "td.activity-target")).toEqual([HOSTILE_TOOL]);
    expect(elementTexts(`<table>${html}</table>`, "td")[1]).toBe("alice");
    expect(parseElements(`<table>${html}</table>`, "tr.activity-row")[0]?.["data-outcome"]).toBe("error");
  });
});

test("MCP_LOG_DB_ENABLED=false: the history says nothing is stored; the live list still works", async () => {
  const unstored = await testGateway({ MCP_LOG_DB_ENABLED: "false", ADMIN_LIVE_ACTIVITY_ROWS: "25" });
  try {
    await createUser(unstored, "root", { isAdmin: true });
    const jar = new Jar();
    await browserLogin(unstored, jar, "root", STRONG_PASSWORD);
    unstored.ctx.activity.record(row({ target: "gone" }));
    const { response, html } = await getPage(unstored, jar, "/admin/activity");
    expect(response.status).toBe(200);
    expect(elementTexts(html, ".activity-history .empty")[0]).toContain("MCP activity is not stored");
    expect(html).not.toContain("gone");
    expect(parseElements(html, "#activity-live")[0]?.["data-max-rows"]).toBe("25");
  } finally {
    await unstored.close();
  }
});
