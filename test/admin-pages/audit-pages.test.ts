// The admin's audit and tool-pinning pages over HTTP (the browser walk is in audit-browser.test.ts):
// the guard on every page and form, the CSRF token on every POST, an audit of a poisoned server
// rendered escaped and streamed as it runs, a registered server audited with the gateway's own
// credential, and the review of a changed tool: approve only what was shown, then the tool works.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { AuditReport } from "../../src/audit/scan/types.ts";
import { browserLogin, formBody, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { type FakeServer, GOOD_TOKEN, startFakeServer } from "../audit-scan/fake-server.ts";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  sdkClient,
  tokenFor,
} from "../gateway/helpers.ts";
import { jsonInit, STRONG_PASSWORD } from "../support/context.ts";
import {
  ANSI_DESCRIPTION,
  HOSTILE_DESCRIPTION,
  HOSTILE_NAME,
  POISONED_FINDINGS,
  POISONED_TOOLS,
  WEATHER,
  WEATHER_CHANGED,
  weather,
} from "./audit-fixtures.ts";

let env: GatewayWithUsers;
let admin: Jar;
let alice: Jar;
let csrf: string;
let fakes: FakeServer[] = [];

beforeAll(async () => {
  env = await gatewayWithUsers();
  admin = new Jar();
  await browserLogin(env.gateway, admin, "root", STRONG_PASSWORD);
  alice = new Jar();
  await browserLogin(env.gateway, alice, "alice", STRONG_PASSWORD, "/portal/");
  csrf = hiddenValue((await getPage(env.gateway, admin, "/admin/audit")).html, "_csrf") as string;
});
afterAll(() => env.close());
afterEach(() => {
  for (const fake of fakes) fake.close();
  fakes = [];
});

function fake(options: Parameters<typeof startFakeServer>[0]): FakeServer {
  const server = startFakeServer(options);
  fakes.push(server);
  return server;
}

const post = (
  path: string,
  fields: Record<string, string>,
  jar = admin,
  headers: Record<string, string> = {},
) => postForm(env.gateway, jar, path, fields, headers);

/** The report behind "Export as JSON" on a rendered page. */
function exportedReport(html: string): AuditReport & { server_id?: string } {
  const link = parseElements(html, "a[download]")[0];
  expect(link?.download).toMatch(/^mcp-audit-127\.0\.0\.1_\d+-\d{8}T\d{6}\.json$/);
  const href = link?.href ?? "";
  expect(href).toStartWith("data:application/json;charset=utf-8,");
  return JSON.parse(decodeURIComponent(href.slice(href.indexOf(",") + 1)));
}

describe("who may use the pages", () => {
  const GETS = ["/admin/audit", "/admin/pinning"];
  const POSTS = [
    "/admin/audit",
    "/admin/audit/server",
    "/admin/pinning/any/approve",
    "/admin/pinning/any/check",
    "/admin/pinning/any/mode",
  ];

  test("without a session every page and form → the login page (a page comes back to itself)", async () => {
    for (const path of GETS) {
      const response = await env.gateway.request(path);
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(`/login?return_to=${path}`);
    }
    const target = fake({ auth: "none" });
    for (const path of POSTS) {
      const { response } = await post(path, { url: target.url }, new Jar());
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toStartWith("/login?");
    }
    expect(target.received).toEqual([]);
  });

  test("a signed-in person who is not an administrator → 403 on every page and form", async () => {
    const aliceCsrf = hiddenValue((await getPage(env.gateway, alice, "/portal/")).html, "_csrf") as string;
    const target = fake({ auth: "none" });
    for (const path of GETS) expect((await getPage(env.gateway, alice, path)).response.status).toBe(403);
    for (const path of POSTS) {
      const { response } = await post(path, { _csrf: aliceCsrf, url: target.url }, alice);
      expect(response.status).toBe(403);
    }
    expect(target.received).toEqual([]);
  });

  test("every POST without the CSRF token, with a wrong one or from a foreign Origin → 403, nothing done", async () => {
    const target = fake({ auth: "none", tools: [weather(WEATHER)] });
    const server = await createServer(env.gateway, env.setup.adminToken, {
      name: "csrf-target",
      url: target.url,
      pinning_mode: "warn",
    });
    const received = target.received.length;
    const pinsBefore = JSON.stringify(env.gateway.app.decorator.gateway.pinning.view(server.id));
    const paths = POSTS.map((p) => p.replace("any", server.id));
    const fields = { url: target.url, server_id: server.id, mode: "off", seen: "x", accept_critical: "1" };
    for (const path of paths) {
      for (const [extra, headers] of [
        [{}, {}],
        [{ _csrf: `${csrf.slice(0, -2)}xx` }, {}],
        [{ _csrf: csrf }, { origin: "http://evil.example" }],
      ] as const) {
        const { response, html } = await post(path, { ...fields, ...extra }, admin, headers);
        expect(response.status).toBe(403);
        expect(html).toContain("Request refused");
      }
    }
    expect(target.received.length).toBe(received);
    expect(JSON.stringify(env.gateway.app.decorator.gateway.pinning.view(server.id))).toBe(pinsBefore);
    expect(env.gateway.app.decorator.gateway.pinning.mode(server.id)).toBe("warn");
  });
});

describe("the audit page", () => {
  test("the form; the pages carry the strict CSP and no inline code; the nav links both pages", async () => {
    for (const path of ["/admin/audit", "/admin/pinning"]) {
      const { response, html } = await getPage(env.gateway, admin, path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(html).not.toMatch(/\son[a-z]+=/i);
      const nav = parseElements(html, "nav.admin-nav a").map((a) => a.href);
      expect(nav).toContain("/admin/audit");
      expect(nav).toContain("/admin/pinning");
    }
    const { html } = await getPage(env.gateway, admin, "/admin/audit");
    expect(parseElements(html, 'form[action="/admin/audit"] input[name="url"]')).toHaveLength(1);
    expect(parseElements(html, 'form[action="/admin/audit"] input[name="token"]')[0]?.type).toBe("password");
  });

  test("a poisoned open server: every finding shown with its id and severity, escaped; the token is never echoed; export as JSON", async () => {
    const target = fake({ auth: "none", tools: POISONED_TOOLS });
    const token = "page-secret-token-5f1c9a";
    const { response, html } = await post("/admin/audit", { _csrf: csrf, url: target.url, token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-store");
    // Escaped: the hostile markup is text, never an element.
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(&#x27;name&#x27;)&quot;&gt;");
    expect(parseElements(html, ".audit-report img")).toHaveLength(0);
    // Invisible characters are shown, not passed on: no tag character or ESC in the page.
    expect(html).not.toContain("\u001b");
    expect([...html].some((c) => (c.codePointAt(0) as number) >= 0xe0000)).toBe(false);
    expect(html).toContain("\\u{E0049}");
    expect(html).toContain("\\u{1B}[8m");
    expect(html).not.toContain(token);
    expect(parseElements(html, 'input[name="token"]')[0]?.value).toBeUndefined();

    const ids = parseElements(html, "li.finding").map((f) => f["data-finding-id"]);
    for (const id of ["AUTH-001", "AUTH-002", "AUTH-003", ...POISONED_FINDINGS]) expect(ids).toContain(id);
    expect(parseElements(html, "li.finding.sev-critical").length).toBeGreaterThan(3);
    expect(parseElements(html, ".grade-F")).toHaveLength(1);
    // Each request of the audit is listed.
    expect(parseElements(html, "ol.audit-progress li").length).toBeGreaterThan(10);

    // The export is the report the API gives (same findings), without the token.
    const exported = exportedReport(html);
    expect(exported.url).toBe(target.url);
    expect(exported.grade).toBe("F");
    expect(exported.findings.map((f) => f.id)).toEqual(ids as string[]);
    expect(exported.findings.find((f) => f.id === "TOOL-NAME-001")?.subject).toBe(HOSTILE_NAME);
    const api = (await (
      await env.gateway.request(
        "/admin/api/audit",
        jsonInit({ url: target.url }, { headers: { authorization: `Bearer ${env.setup.adminToken}` } }),
      )
    ).json()) as AuditReport;
    expect(api.findings.map((f) => f.id)).toEqual(exported.findings.map((f) => f.id));
    expect(JSON.stringify(exported)).not.toContain(token);
    expect(JSON.stringify(exported)).toContain(JSON.stringify(HOSTILE_DESCRIPTION).slice(1, 30));
    expect(ANSI_DESCRIPTION).toContain("\u001b");
  });

  test("the answer streams: the page and the first requests arrive while the server still holds one", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let requests = 0;
    const slow = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        requests++;
        // The first request (initialize without a token) is answered; the second waits.
        if (requests === 2) await held;
        return new Response("no", { status: 401, headers: { "www-authenticate": "Bearer" } });
      },
    });
    try {
      const response = await fetch(`${env.gateway.url}/admin/audit`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: env.gateway.url,
          cookie: admin.header(),
        },
        body: formBody({ _csrf: csrf, url: `http://127.0.0.1:${slow.port}/mcp` }),
      });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = "";
      while (!text.includes("</li>")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      // Shown before the audit ended: the running note and the first request, no report yet.
      expect(text).toContain("Running the audit");
      expect(text).toContain("initialize");
      expect(text).toContain("HTTP 401");
      expect(text).not.toContain("audit-report");
      expect(requests).toBeLessThanOrEqual(2); // the second is held (or not sent yet)
      release();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toContain('class="card audit-report"');
      expect(text).toContain("</html>");
    } finally {
      release();
      slow.stop(true);
    }
  });

  test("bad input: an empty or malformed URL, a refused address, an unknown server → the form again with the reason, nothing fetched", async () => {
    for (const [url, status, message] of [
      ["", 400, "URL: enter the MCP server&#x27;s URL."],
      ["ftp://127.0.0.1/mcp", 400, "URL:"],
      ["http://169.254.169.254/mcp", 400, "link-local"],
    ] as const) {
      const { response, html } = await post("/admin/audit", { _csrf: csrf, url });
      expect(response.status).toBe(status);
      expect(parseElements(html, ".errors li").length).toBe(1);
      expect(html).toContain(message);
      expect(html).not.toContain("audit-report");
    }
    const missing = await post("/admin/audit/server", { _csrf: csrf, server_id: "nope" });
    expect(missing.response.status).toBe(404);
    expect(missing.html).toContain("No such server.");
  });

  test("a registered server is audited with the gateway's own backend credential", async () => {
    // A tool name no other server of this gateway has (shadowing is reported otherwise).
    const target = fake({ tools: [{ name: "credentialed_lookup", description: "Looks a word up." }] });
    const server = await createServer(env.gateway, env.setup.adminToken, {
      name: "credentialed",
      url: target.url,
      credential: { type: "bearer", token: GOOD_TOKEN },
    });
    const { html: form } = await getPage(env.gateway, admin, "/admin/audit");
    expect(parseElements(form, 'select[name="server_id"] option').map((o) => o.value)).toContain(server.id);
    const { response, html } = await post("/admin/audit/server", { _csrf: csrf, server_id: server.id });
    expect(response.status).toBe(200);
    expect(html).not.toContain(GOOD_TOKEN);
    const report = exportedReport(html);
    expect(report.server_id).toBe(server.id);
    expect(report.toolsListed).toBe(1);
    expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(target.received.some((r) => r.authorization === `Bearer ${GOOD_TOKEN}`)).toBe(true);
  });
});

describe("the tool pinning review", () => {
  test("a changed tool is shown approved vs current, escaped; approving applies only to what was shown; then the tool works through /mcp/{server}", async () => {
    const tools = [weather(WEATHER)];
    const target = fake({ auth: "none", tools });
    const server = await createServer(env.gateway, env.setup.adminToken, {
      name: "pinned",
      url: target.url,
      open_to_all: true,
      pinning_mode: "block-changed",
    });
    tools[0] = weather(WEATHER_CHANGED);
    const token = await tokenFor(env.gateway, "alice", "pinned");
    const before = (await sdkClient(`${env.gateway.url}/mcp/pinned`, token)).client;
    expect((await before.listTools()).tools).toEqual([]);
    await before.close();

    const { response, html } = await getPage(env.gateway, admin, "/admin/pinning");
    expect(response.status).toBe(200);
    const section = parseElements(html, 'section.pin-server[data-server="pinned"]');
    expect(section).toHaveLength(1);
    expect(parseElements(html, '[data-server="pinned"] li.pin-change').map((c) => c["data-name"])).toEqual([
      "get_weather",
    ]);
    expect(parseElements(html, '[data-server="pinned"] .field-diff').map((f) => f["data-field"])).toEqual([
      "description",
    ]);
    expect(html).toContain(`<span class="line marked">${WEATHER}\n</span>`);
    expect(html).toContain(
      "Returns the weather. &lt;img src=x onerror=&quot;alert(&#x27;pin&#x27;)&quot;&gt;",
    );
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>bold</b>");

    // The backend changes again after the page was shown: nothing is approved, the new one is shown.
    const seen = hiddenValue(html.slice(html.indexOf('data-server="pinned"')), "seen") as string;
    tools[0] = weather(`${WEATHER_CHANGED} Again.`);
    const stale = await post(`/admin/pinning/${server.id}/approve`, { _csrf: csrf, seen });
    expect(stale.response.status).toBe(409);
    expect(stale.html).toContain("Nothing was approved");
    expect(stale.html).toContain("Again.");
    const still = (await sdkClient(`${env.gateway.url}/mcp/pinned`, token)).client;
    expect((await still.listTools()).tools).toEqual([]);
    await still.close();

    const fresh = hiddenValue(stale.html.slice(stale.html.indexOf('data-server="pinned"')), "seen") as string;
    const approved = await post(`/admin/pinning/${server.id}/approve`, { _csrf: csrf, seen: fresh });
    expect(approved.response.status).toBe(200);
    expect(approved.html).toContain("pinned: 1 definitions approved.");
    const after = (await sdkClient(`${env.gateway.url}/mcp/pinned`, token)).client;
    expect((await after.listTools()).tools.map((t) => t.name)).toEqual(["get_weather"]);
    const call = await after.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
    expect(call.content).toEqual([{ type: "text", text: "called get_weather" }]);
    await after.close();
  });

  test("a definition with a critical finding is withheld unless the admin ticks the box", async () => {
    const tools = [weather(WEATHER)];
    const target = fake({ auth: "none", tools });
    const server = await createServer(env.gateway, env.setup.adminToken, {
      name: "critical",
      url: target.url,
      pinning_mode: "block-changed",
    });
    tools[0] = weather(`${WEATHER} ${HOSTILE_DESCRIPTION}`);
    const check = await post(`/admin/pinning/${server.id}/check`, { _csrf: csrf });
    expect(check.response.status).toBe(200);
    expect(check.html).toContain("critical: checked now; 1 awaiting review.");
    const part = check.html.slice(check.html.indexOf('data-server="critical"'));
    expect(parseElements(part, "li.pin-change .pin-findings code").length).toBeGreaterThan(0);
    expect(part).toContain("TOOL-INJ-001");
    const seen = hiddenValue(part, "seen") as string;
    const withheld = await post(`/admin/pinning/${server.id}/approve`, { _csrf: csrf, seen });
    expect(withheld.html).toContain("0 definitions approved. Withheld (a critical finding): get_weather");
    expect(env.gateway.app.decorator.gateway.pinning.view(server.id).changes).toHaveLength(1);
    const accepted = await post(`/admin/pinning/${server.id}/approve`, {
      _csrf: csrf,
      seen,
      accept_critical: "1",
    });
    expect(accepted.html).toContain("critical: 1 definitions approved.");
    expect(env.gateway.app.decorator.gateway.pinning.view(server.id).changes).toEqual([]);
  });

  test("the mode is set from the page; a mode that does not exist → 400, unchanged", async () => {
    const target = fake({ auth: "none" });
    const server = await createServer(env.gateway, env.setup.adminToken, { name: "moded", url: target.url });
    const pinning = env.gateway.app.decorator.gateway.pinning;
    expect(pinning.mode(server.id)).toBe("off");
    const { html } = await getPage(env.gateway, admin, "/admin/pinning");
    expect(parseElements(html, 'table.pin-off tr[data-server="moded"]')).toHaveLength(1);
    const set = await post(`/admin/pinning/${server.id}/mode`, { _csrf: csrf, mode: "warn" });
    expect(set.response.status).toBe(200);
    expect(pinning.mode(server.id)).toBe("warn");
    expect(parseElements(set.html, 'section.pin-server[data-server="moded"]')).toHaveLength(1);
    const bad = await post(`/admin/pinning/${server.id}/mode`, { _csrf: csrf, mode: "loud" });
    expect(bad.response.status).toBe(400);
    expect(pinning.mode(server.id)).toBe("warn");
    const missing = await post("/admin/pinning/nope/mode", { _csrf: csrf, mode: "warn" });
    expect(missing.response.status).toBe(404);
  });
});
