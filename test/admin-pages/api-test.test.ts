// /admin/api-test over HTTP: the form generated from a tool's schema, a call as the signed-in admin
// through the gateway (what the backend receives, the activity row), errors shown, invalid values
// refused before any call, and access (login, 403, CSRF).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Html from "@kitajs/html";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import {
  browserLogin,
  elementTexts,
  getPage,
  hiddenValue,
  Jar,
  parseElements,
  postForm,
} from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { type ApiTestBackend, HOSTILE, startApiTestBackend } from "./api-test-fixtures.ts";

function decode(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#34;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&#x27;", "'")
    .replaceAll("&amp;", "&");
}

async function signedIn(gateway: TestGateway, username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  if (result.response.status !== 303) throw new Error(`login failed: ${result.response.status}`);
  return jar;
}

async function addServer(gateway: TestGateway, name: string, url: string) {
  const created = await gateway.app.decorator.gateway.registry.create({ name, url });
  if (!created.ok) throw new Error(created.message);
  return created.server;
}

const pagePath = (server: string, tool?: string) =>
  `/admin/api-test?server=${encodeURIComponent(server)}${tool === undefined ? "" : `&tool=${encodeURIComponent(tool)}`}`;

/** Loads the tool's form and posts it with `fields` (and the page's CSRF token). */
async function call(
  gateway: TestGateway,
  jar: Jar,
  server: string,
  tool: string,
  fields: Record<string, string>,
) {
  const page = await getPage(gateway, jar, pagePath(server, tool));
  expect(page.response.status).toBe(200);
  const csrf = hiddenValue(page.html, "_csrf") as string;
  return postForm(gateway, jar, "/admin/api-test", { _csrf: csrf, server, tool, ...fields });
}

const answerOf = (html: string) =>
  JSON.parse(elementTexts(html, "#api-test-answer")[0] as string) as Record<string, unknown>;

let gateway: TestGateway;
let backend: ApiTestBackend;
let rootId: string;
/** The admin's browser session (one login for the file: password hashing is slow on purpose). */
let rootJar: Jar;
const rows: McpActivity[] = [];

beforeAll(async () => {
  gateway = await testGateway();
  rootId = (await createUser(gateway, "root", { isAdmin: true })).id;
  await createUser(gateway, "alice");
  backend = startApiTestBackend();
  await addServer(gateway, "tools", backend.url);
  rootJar = await signedIn(gateway);
  gateway.ctx.activity.subscribe((row) => rows.push(row));
});
afterAll(async () => {
  await backend?.stop();
  await gateway?.close();
});

describe("access", () => {
  test("without a session: the login page, returning to the page asked for", async () => {
    const response = await gateway.request(pagePath("tools", "shape"));
    expect(response.status).toBe(303);
    const location = response.headers.get("location") as string;
    expect(new URL(location, "http://x").searchParams.get("return_to")).toBe(
      "/admin/api-test?server=tools&tool=shape",
    );
  });

  test("a person who is not an admin: 403 for the page and the call, nothing sent", async () => {
    const jar = await signedIn(gateway, "alice");
    const before = backend.requests.length;
    expect((await getPage(gateway, jar, pagePath("tools", "shape"))).response.status).toBe(403);
    const posted = await postForm(gateway, jar, "/admin/api-test", { server: "tools", tool: "fail" });
    expect(posted.response.status).toBe(403);
    expect(backend.requests.length).toBe(before);
  });

  test("a call without the CSRF token (or with a wrong one): 403, nothing sent to the backend", async () => {
    const jar = rootJar;
    const before = backend.requests.length;
    const missing = await postForm(gateway, jar, "/admin/api-test", { server: "tools", tool: "fail" });
    expect(missing.response.status).toBe(403);
    const wrong = await postForm(gateway, jar, "/admin/api-test", {
      _csrf: "x".repeat(43),
      server: "tools",
      tool: "fail",
    });
    expect(wrong.response.status).toBe(403);
    expect(backend.requests.length).toBe(before);
    expect(backend.calls.filter((one) => one.name === "fail")).toHaveLength(0);
  });
});

describe("the page", () => {
  test("lists the servers the admin may use and, for one, its tools", async () => {
    const jar = rootJar;
    const first = await getPage(gateway, jar, "/admin/api-test");
    expect(first.response.status).toBe(200);
    expect(elementTexts(first.html, "nav.admin-nav a[aria-current='page']")).toEqual(["API test"]);
    expect(parseElements(first.html, "#api-test-server-form option").map((one) => one.value)).toEqual([
      "tools",
    ]);
    const listed = await getPage(gateway, jar, pagePath("tools"));
    const tools = parseElements(listed.html, "#api-test-tool-form option").map((one) => one.value ?? "");
    expect(tools.map(decode)).toEqual([
      "shape",
      "fail",
      "big",
      "many",
      "rpc_error",
      "broken",
      "wait",
      HOSTILE.tool,
    ]);
  });

  test("an unknown server or tool: 404 with the reason, nothing else", async () => {
    const jar = rootJar;
    const server = await getPage(gateway, jar, pagePath("nope"));
    expect(server.response.status).toBe(404);
    expect(elementTexts(server.html, "#api-test-problem")[0]).toContain("No such server");
    const tool = await getPage(gateway, jar, pagePath("tools", "nope"));
    expect(tool.response.status).toBe(404);
    expect(elementTexts(tool.html, "#api-test-problem")[0]).toContain("no such tool");
    expect(parseElements(tool.html, "#api-test-call-form")).toHaveLength(0);
  });

  test("a backend that cannot be reached: the listing's error is shown, no form", async () => {
    // Nothing listens on port 9 of loopback: the connection is refused.
    const dead = await gateway.app.decorator.gateway.registry.create({
      name: "dead",
      url: "http://127.0.0.1:9/mcp",
      timeoutMs: 5000,
    });
    if (!dead.ok) throw new Error(dead.message);
    try {
      const { response, html } = await getPage(gateway, rootJar, pagePath("dead", "anything"));
      expect(response.status).toBe(200);
      expect(elementTexts(html, "#api-test-list-error p")).toEqual([
        "The server's tools could not be listed:",
      ]);
      expect(elementTexts(html, "#api-test-list-error pre")[0]?.length).toBeGreaterThan(0);
      expect(parseElements(html, "#api-test-call-form")).toHaveLength(0);
    } finally {
      gateway.app.decorator.gateway.registry.remove(dead.server.id);
    }
  });

  test("the form follows the schema: text, whole number, number, checkbox, select, JSON text areas", async () => {
    const jar = rootJar;
    const { html } = await getPage(gateway, jar, pagePath("tools", "shape"));
    const kinds = Object.fromEntries(
      parseElements(html, "#api-test-call-form .api-test-field").map((one) => [
        one["data-argument"],
        one["data-kind"],
      ]),
    );
    expect(kinds).toEqual({
      text: "string",
      count: "integer",
      ratio: "number",
      loud: "boolean",
      mode: "enum",
      options: "json",
      tags: "json",
    });
    expect(parseElements(html, 'input[name="arg.text"]')[0]?.type).toBe("text");
    expect(parseElements(html, 'input[name="arg.count"]')[0]?.inputmode).toBe("numeric");
    expect(parseElements(html, 'input[name="arg.loud"]')[0]?.type).toBe("checkbox");
    expect(parseElements(html, 'select[name="arg.mode"] option').map((one) => one.value)).toEqual([
      "fast",
      "slow",
    ]);
    expect(parseElements(html, 'textarea[name="arg.options"]')).toHaveLength(1);
    expect(parseElements(html, 'textarea[name="arg.tags"]')).toHaveLength(1);
    // Required arguments are marked; optional ones are not; descriptions are shown.
    const required = parseElements(html, "[aria-required='true']").map((one) => one.name);
    expect(required).toEqual(["arg.text", "arg.count", "arg.loud", "arg.mode"]);
    expect(elementTexts(html, ".api-test-description")).toEqual(["Some text", "A whole number"]);
    // Progress while the call runs, and the plain form without scripts.
    const form = parseElements(html, "#api-test-call-form")[0] as Record<string, string>;
    expect(form).toMatchObject({ method: "post", action: "/admin/api-test", "hx-post": "/admin/api-test" });
    expect(form["hx-indicator"]).toBe("#api-test-progress");
    expect(elementTexts(html, "#api-test-progress.htmx-indicator")).toEqual(["Calling…"]);
  });

  test("hostile tool names, titles, descriptions and schema text are shown as text", async () => {
    const jar = rootJar;
    const { html } = await getPage(gateway, jar, pagePath("tools", HOSTILE.tool));
    // No element came from the backend's text: the page's own two scripts, no image, no <i>.
    expect(parseElements(html, "script").map((one) => one.src)).toEqual([
      expect.stringMatching(/^\/static\/htmx\.min\.js/),
      "/static/app.js",
    ]);
    for (const tag of ["img", "i", "b"]) expect(parseElements(html, tag)).toHaveLength(0);
    expect(elementTexts(html, "#api-test-tool code")).toEqual([HOSTILE.tool]);
    expect(elementTexts(html, ".api-test-tool-description")).toEqual([HOSTILE.description]);
    expect(elementTexts(html, ".api-test-field code")).toEqual([HOSTILE.property, "choice"]);
    expect(elementTexts(html, ".api-test-description")).toEqual([HOSTILE.propertyDescription]);
    const field = parseElements(html, "#api-test-arg-0")[0];
    expect(decode(field?.name ?? "")).toBe(`arg.${HOSTILE.property}`);
    expect(decode(field?.value ?? "")).toBe(HOSTILE.choice); // its default, inside the attribute
    expect(
      parseElements(html, 'select[name="arg.choice"] option').map((one) => decode(one.value ?? "")),
    ).toEqual([HOSTILE.choice, "plain"]);
  });
});

describe("a call", () => {
  test("goes through the gateway as the admin: the backend receives exactly the arguments, the answer is shown", async () => {
    const jar = rootJar;
    const before = backend.calls.length;
    const { response, html } = await call(gateway, jar, "tools", "shape", {
      "arg.text": "hello <world>",
      "arg.count": "3",
      "arg.ratio": "",
      "arg.loud": "on",
      "arg.mode": "slow",
      "arg.options": '{"depth": 2}',
      "arg.tags": "",
    });
    expect(response.status).toBe(200);
    const received = backend.calls.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]?.arguments).toEqual({
      text: "hello <world>",
      count: 3,
      loud: true,
      mode: "slow",
      options: { depth: 2 },
    });
    // The backend never sees the admin's token (the gateway sends its own credential: none here).
    expect(received[0]?.authorization).toBeNull();
    expect(elementTexts(html, "#api-test-outcome")[0]).toContain("The tool answered in");
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("result");
    expect(JSON.parse(elementTexts(html, "#api-test-request")[0] as string)).toEqual({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: {
        name: "shape",
        arguments: { text: "hello <world>", count: 3, loud: true, mode: "slow", options: { depth: 2 } },
      },
    });
    const answer = answerOf(html);
    expect(answer.id).toBe(2);
    const content = (answer.result as { content: { text: string }[] }).content;
    expect(JSON.parse(content[0]?.text as string)).toMatchObject({ text: "hello <world>", count: 3 });
    // The values stay in the form.
    expect(parseElements(html, 'input[name="arg.text"]')[0]?.value).toBe("hello <world>");
    expect(parseElements(html, 'input[name="arg.loud"]')[0]?.checked).toBe("");
    // initialize came first; its exchange is kept below.
    expect(elementTexts(html, ".api-test-earlier summary")).toEqual([
      "Earlier steps: initialize, notifications/initialized",
    ]);
    // The minted token is nowhere on the page or in the log.
    expect(html).not.toMatch(/Bearer [A-Za-z0-9_-]+\./);
    expect(html).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\./);
    expect(gateway.logs.join("\n")).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\./);
  });

  test("appears in MCP activity with the admin as user, the page's client and the tool", async () => {
    const jar = rootJar;
    const before = rows.length;
    await call(gateway, jar, "tools", "many", { "arg.a": "1", "arg.b": "2", "arg.c": "3" });
    const mine = () => rows.slice(before).find((row) => row.method === "tools/call");
    for (let i = 0; i < 100 && mine() === undefined; i++) await Bun.sleep(20);
    expect(mine()).toMatchObject({
      userId: rootId,
      clientId: "authmcp-admin-api-test",
      server: "tools",
      endpoint: "server",
      method: "tools/call",
      target: "many",
      outcome: "ok",
      httpStatus: 200,
    });
    expect(rows.slice(before).map((row) => row.method)).toContain("initialize");
  });

  test("the token is revoked once the call is over, and the session ended", async () => {
    const jar = rootJar;
    const proxy = gateway.app.decorator.gateway.proxy;
    const original = proxy.handle.bind(proxy);
    const seen: string[] = [];
    const requestsBefore = backend.requests.length;
    proxy.handle = (request, server) => {
      seen.push(request.headers.get("authorization") ?? "");
      return original(request, server);
    };
    try {
      await call(gateway, jar, "tools", "many", { "arg.a": "1", "arg.b": "2", "arg.c": "3" });
    } finally {
      proxy.handle = original;
    }
    expect(new Set(seen).size).toBe(1);
    // The call's own requests, and nothing else: the tools came from the gateway's catalog.
    expect(backend.requests.slice(requestsBefore)).toEqual([
      "POST initialize",
      "POST notifications/initialized",
      "POST tools/call",
      "DELETE -",
    ]);
    const again = await proxy.handle(
      new Request(`${gateway.ctx.config.publicUrl}/mcp/tools`, {
        method: "POST",
        headers: {
          authorization: seen[0] as string,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      }),
      "tools",
    );
    expect(again.status).toBe(401);
    expect(await again.text()).toContain("revoked");
  });

  test("a tool's own error (isError) is shown as such", async () => {
    const jar = rootJar;
    const { html } = await call(gateway, jar, "tools", "fail", {});
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("result");
    expect(elementTexts(html, "#api-test-outcome")[0]).toContain("isError: true");
    expect((answerOf(html).result as { isError: boolean }).isError).toBe(true);
    expect(elementTexts(html, "#api-test-answer")[0]).toContain("the backend says no");
  });

  test("a backend's JSON-RPC error is shown with its code and message", async () => {
    const { html } = await call(gateway, rootJar, "tools", "rpc_error", {});
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("rpc_error");
    expect(elementTexts(html, "#api-test-outcome")[0]).toBe(
      "JSON-RPC error -32603: the backend exploded (HTTP 200)",
    );
    expect(answerOf(html)).toEqual({
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32603, message: "the backend exploded" },
    });
  });

  test("a backend's HTTP error: the gateway's answer and its status are shown", async () => {
    const { html } = await call(gateway, rootJar, "tools", "broken", {});
    const status = Number(parseElements(html, "#api-test-answer")[0]?.["data-status"]);
    expect(status).toBeGreaterThanOrEqual(500);
    // The gateway answers a failed backend with a JSON-RPC error of its own, with the HTTP status.
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("rpc_error");
    expect(elementTexts(html, "#api-test-outcome")[0]).toEndWith(`(HTTP ${status})`);
    expect(elementTexts(html, "h3")).toContain(`Answer: HTTP ${status} · application/json;charset=utf-8`);
  });

  test("a tool the gateway refuses (blocked by tool pinning): the refusal is shown, the backend not called", async () => {
    const jar = rootJar;
    const services = gateway.app.decorator.gateway;
    const server = services.registry.byName("tools");
    if (!server) throw new Error("no server");
    services.pinning.setMode(server.id, "block-changed");
    // Approved on first use as it looked then; the backend now lists it changed.
    services.pinning.review(server.id, "tools", "tool", [
      { name: "fail", description: "before", inputSchema: { type: "object" } },
    ]);
    services.pinning.review(server.id, "tools", "tool", [
      { name: "fail", description: "Always fails", inputSchema: { type: "object" } },
    ]);
    const before = backend.calls.length;
    try {
      const { html } = await call(gateway, jar, "tools", "fail", {});
      expect(backend.calls.length).toBe(before);
      expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("rpc_error");
      expect(elementTexts(html, "#api-test-outcome")[0]).toStartWith(
        'JSON-RPC error -32602: Tool "fail" is blocked',
      );
      expect((answerOf(html).error as { code: number }).code).toBe(-32602);
    } finally {
      services.pinning.setMode(server.id, "off");
    }
  });

  test("invalid values: the form again with each problem next to its field, nothing called", async () => {
    const jar = rootJar;
    const before = backend.requests.length;
    const calls = backend.calls.length;
    const { response, html } = await call(gateway, jar, "tools", "shape", {
      "arg.text": "kept",
      "arg.count": "2.5",
      "arg.ratio": "three",
      "arg.mode": "slow",
      "arg.options": "{not json",
      "arg.tags": '{"a": 1}',
    });
    expect(response.status).toBe(200);
    // Nothing was sent to the backend (the tool's schema came from the gateway's catalog).
    expect(backend.requests.slice(before)).toEqual([]);
    expect(backend.calls.length).toBe(calls);
    expect(elementTexts(html, ".api-test-error")).toEqual([
      "Not a whole number.",
      "Not a number.",
      expect.stringContaining("Not valid JSON"),
      "Expected a JSON array.",
    ]);
    // Each problem is next to its field (in the field's block, named by aria-describedby).
    const count = parseElements(html, 'input[name="arg.count"]')[0] as Record<string, string>;
    expect(count["aria-describedby"]).toContain(`${count.id}-error`);
    expect(elementTexts(html, `#${count.id}-error`)).toEqual(["Not a whole number."]);
    expect(parseElements(html, '[aria-invalid="true"]').map((one) => one.name)).toEqual([
      "arg.count",
      "arg.ratio",
      "arg.options",
      "arg.tags",
    ]);
    expect(parseElements(html, 'input[name="arg.text"]')[0]?.value).toBe("kept");
    expect(parseElements(html, "#api-test-result")).toHaveLength(0);
  });
});

describe("the settings", () => {
  let limited: TestGateway;
  let slow: ApiTestBackend;
  let limitedJar: Jar;
  beforeAll(async () => {
    limited = await testGateway({
      ADMIN_API_TEST_TIMEOUT_MS: "1000",
      ADMIN_API_TEST_MAX_ANSWER_BYTES: "1024",
      ADMIN_API_TEST_MAX_FIELDS: "2",
    });
    await createUser(limited, "root", { isAdmin: true });
    slow = startApiTestBackend();
    await addServer(limited, "tools", slow.url);
    limitedJar = await signedIn(limited);
  });
  afterAll(async () => {
    await slow?.stop();
    await limited?.close();
  });

  test("ADMIN_API_TEST_TIMEOUT_MS: a call that takes longer is abandoned and shown as timed out", async () => {
    const jar = limitedJar;
    const { html } = await call(limited, jar, "tools", "wait", {});
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("timeout");
    expect(elementTexts(html, "#api-test-outcome")[0]).toContain("No answer within 1000 ms");
    slow.release();
  });

  test("ADMIN_API_TEST_MAX_ANSWER_BYTES: a longer answer is cut and marked", async () => {
    const jar = limitedJar;
    const { html } = await call(limited, jar, "tools", "big", { "arg.size": "5000" });
    expect(elementTexts(html, ".api-test-raw")[0]?.length).toBeLessThanOrEqual(1024);
    expect(html).toContain("cut at 1024 bytes");
    expect(slow.calls.at(-1)?.arguments).toEqual({ size: 5000 });
  });

  test("ADMIN_API_TEST_MAX_FIELDS: a tool with more arguments gets one JSON text area", async () => {
    const jar = limitedJar;
    const page = await getPage(limited, jar, pagePath("tools", "many"));
    expect(parseElements(page.html, 'textarea[name="arguments"]')).toHaveLength(1);
    expect(parseElements(page.html, 'input[name^="arg."]')).toHaveLength(0);
    const small = await getPage(limited, jar, pagePath("tools", "big"));
    expect(parseElements(small.html, 'input[name="arg.size"]')).toHaveLength(1);
    const bad = await call(limited, jar, "tools", "many", { arguments: "[1]" });
    expect(elementTexts(bad.html, ".api-test-error")).toEqual(["The arguments must be a JSON object."]);
    const { html } = await call(limited, jar, "tools", "many", { arguments: '{"a":"x","b":"y","c":"z"}' });
    expect(parseElements(html, "#api-test-outcome")[0]?.["data-outcome"]).toBe("result");
    expect(slow.calls.at(-1)?.arguments).toEqual({ a: "x", b: "y", c: "z" });
  });
});

void Html;
