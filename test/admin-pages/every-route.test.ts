// Every admin route of the built app, enumerated from the app itself (Elysia's `app.routes` and
// the Bun.serve routes `start` serves), not a sample: routes added later are covered without
// touching this file. For each: no session → the sign-in page (pages) or 401 (JSON API); a
// signed-in person who is not an administrator → 403; and every state-changing route with an
// admin's session but without the CSRF token → 403 with nothing changed in the database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serveHandlers } from "../../src/http/serve.ts";
import { browserLogin, getPage, hiddenValue, Jar } from "../admin/web.ts";
import { createUser, jsonInit, login, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { registerClient } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

interface Route {
  method: string;
  path: string;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Routes under /admin/ that are deliberately public, with the reason. Everything else must be
 * behind the admin check.
 */
const PUBLIC_ROUTES: Record<string, string> = {
  "GET /admin/login": "an old bookmark: it only redirects to the sign-in page",
};

let gateway: ListeningGateway;
let backend: McpBackend;
let routes: Route[];
const ids: Record<string, string> = {};
const admin = new Jar();
const member = new Jar();
let adminCsrf: string;
let memberToken: string;

beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await listeningGateway({ OAUTH_REGISTRATION_MODE: "approval" });
  routes = adminRoutes();

  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "dave");
  const bob = await createUser(gateway, "bob");
  ids.user = bob.id;
  const adminToken = (await login(gateway, "root")).access_token;
  memberToken = (await login(gateway, "dave")).access_token;
  const api = async (path: string, body: unknown): Promise<{ id: string }> => {
    const response = await gateway.request(
      path,
      jsonInit(body, { headers: { authorization: `Bearer ${adminToken}` } }),
    );
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
  ids.server = (await api("/admin/api/mcp-servers", { name: "notes", url: backend.url })).id;
  ids.group = (await api("/admin/api/groups", { name: "engineering" })).id;
  ids.grant = (await api(`/admin/api/mcp-servers/${ids.server}/grants`, { user_id: bob.id })).id;
  ids.client = (await registerClient(gateway, { client_name: "Waiting app" })).client_id;
  // An identity provider is addressed by its slug.
  await api("/admin/api/identity-providers", {
    slug: "github",
    type: "github",
    display_name: "GitHub",
    client_id: "gh-client",
    client_secret: "gh-secret",
  });
  ids.provider = "github";
  ids.token = gateway.ctx.personalTokens.create({
    userId: bob.id,
    name: "ci",
    servers: ["notes"],
    expiresAt: null,
  }).record.id;

  await browserLogin(gateway, admin, "root", STRONG_PASSWORD);
  await browserLogin(gateway, member, "dave", STRONG_PASSWORD, "/portal/");
  adminCsrf = hiddenValue((await getPage(gateway, admin, "/admin/")).html, "_csrf") ?? "";
  if (!adminCsrf || !admin.cookies.has("authmcp_session") || !member.cookies.has("authmcp_session")) {
    throw new Error("the browser sessions were not set up");
  }
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

/** Every admin route the listening gateway answers: the app's routes and the Bun.serve routes. */
function adminRoutes(): Route[] {
  const found = new Map<string, Route>();
  const add = (method: string, path: string) => {
    if (!path.startsWith("/admin/")) return;
    const upper = method.toUpperCase();
    if (upper === "HEAD" || upper === "OPTIONS") return;
    found.set(`${upper} ${path}`, { method: upper, path });
  };
  for (const route of gateway.app.routes) {
    if (route.method === "ALL" || route.method === "*") {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) add(method, route.path);
    } else add(route.method, route.path);
  }
  for (const [path, handler] of Object.entries(serveHandlers(gateway.app, gateway.ctx).routes)) {
    const methods = typeof handler === "function" ? ["GET", "POST"] : Object.keys(handler as object);
    for (const method of methods) add(method, path);
  }
  return [...found.values()].filter((route) => !(`${route.method} ${route.path}` in PUBLIC_ROUTES));
}

/**
 * A route's path with its parameters filled with ids of real rows, so a refusal is the guard's and
 * not a 404. `:id` is named by the collection before it.
 */
const COLLECTION_IDS: Record<string, string> = {
  users: "user",
  servers: "server",
  "mcp-servers": "server",
  pinning: "server",
  clients: "client",
  "oauth-clients": "client",
  "personal-tokens": "token",
  "backend-tokens": "server",
  groups: "group",
  "identity-providers": "provider",
};
const PARAM_IDS: Record<string, string> = {
  userId: "user",
  groupId: "group",
  grantId: "grant",
  tokenId: "token",
  serverId: "server",
  clientId: "client",
};
const FIXED_PARAMS: Record<string, string> = { provider: "github", subject: "bob-on-github" };

/** Parameters no real id was found for (reported by a test, so a new route gets one). */
const unfilled = new Set<string>();

function fill(path: string): string {
  const segments = path.split("/");
  return segments
    .map((segment, index) => {
      if (!segment.startsWith(":")) return segment;
      const name = segment.slice(1);
      const kind = name === "id" ? COLLECTION_IDS[segments[index - 1] ?? ""] : PARAM_IDS[name];
      const value = kind ? ids[kind] : FIXED_PARAMS[name];
      if (value) return value;
      unfilled.add(`${path} (${name})`);
      return `unknown-${name}`;
    })
    .join("/");
}

const isApi = (route: Route) => route.path.startsWith("/admin/api/");
const describeRoute = (route: Route) => `${route.method} ${route.path}`;

/**
 * The body of a state-changing request: the fields the create forms and calls take (a form for
 * pages, JSON for the API), so a route that skipped the CSRF check would mostly act on it.
 */
function body(route: Route, extra: Record<string, string> = {}): { type: string; text: string } | undefined {
  if (!STATE_CHANGING.has(route.method)) return undefined;
  const fields = {
    name: "mallory",
    username: "mallory",
    email: "mallory@example.test",
    password: "Another-Horse-77",
    client_name: "Mallory",
    group: "engineering",
    mode: "block-changed",
    ...extra,
  };
  return isApi(route)
    ? { type: "application/json", text: JSON.stringify(fields) }
    : { type: "application/x-www-form-urlencoded", text: new URLSearchParams(fields).toString() };
}

async function send(
  route: Route,
  headers: Record<string, string>,
  form: Record<string, string> = {},
): Promise<Response> {
  const payload = body(route, form);
  return fetch(`${gateway.url}${fill(route.path)}`, {
    method: route.method,
    redirect: "manual",
    headers: {
      origin: gateway.url,
      ...(payload ? { "content-type": payload.type } : {}),
      ...headers,
    },
    body: payload?.text,
  });
}

/** Every row of every table, as text: what "nothing changed" is compared on. */
function databaseRows(): string {
  const sqlite = gateway.ctx.db.$client;
  const tables = sqlite
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((row) => row.name)
    // A refused request is itself a security event (csrf_failed, access_denied): recorded, rightly.
    .filter((name) => name !== "security_events");
  return JSON.stringify(tables.map((name) => [name, sqlite.query(`SELECT * FROM "${name}"`).all()]));
}

test("the admin routes are found (pages and JSON API, reading and changing)", () => {
  const listed = routes.map(describeRoute);
  expect(listed).toContain("GET /admin/users");
  expect(listed).toContain("POST /admin/users/:id/disable");
  expect(listed).toContain("GET /admin/api/mcp-servers");
  expect(listed).toContain("DELETE /admin/api/mcp-servers/:id");
  expect(routes.length).toBeGreaterThan(60);
  for (const route of routes) fill(route.path);
  // Every path parameter gets the id of a real row: add new collections to COLLECTION_IDS.
  expect([...unfilled]).toEqual([]);
});

describe("without a session", () => {
  test("every admin page → 303 to the sign-in page (returning to the page); every API route → 401 with WWW-Authenticate", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const response = await send(route, {});
      const location = response.headers.get("location") ?? "";
      await response.body?.cancel();
      if (isApi(route)) {
        if (response.status !== 401 || !response.headers.get("www-authenticate")?.startsWith("Bearer")) {
          wrong.push(`${describeRoute(route)} → ${response.status}`);
        }
      } else {
        const back = route.method === "GET" ? fill(route.path) : "/admin/";
        if (response.status !== 303 || location !== `/login?return_to=${back}`) {
          wrong.push(`${describeRoute(route)} → ${response.status} ${location}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  test("a bearer token that is not valid → 401 on every API route", async () => {
    const wrong: string[] = [];
    for (const route of routes.filter(isApi)) {
      const response = await send(route, { authorization: "Bearer not-a-token" });
      await response.body?.cancel();
      if (response.status !== 401) wrong.push(`${describeRoute(route)} → ${response.status}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("signed in, not an administrator", () => {
  test("every admin page and API route with the person's session → 403 Forbidden (not a CSRF refusal)", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const response = await send(route, { cookie: member.header() });
      const answer = await response.text();
      const expected = isApi(route) ? '"error":"forbidden"' : "<h1>Forbidden</h1>";
      if (response.status !== 403 || !answer.includes(expected)) {
        wrong.push(`${describeRoute(route)} → ${response.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("every API route with the person's bearer token → 403", async () => {
    const wrong: string[] = [];
    for (const route of routes.filter(isApi)) {
      const response = await send(route, { authorization: `Bearer ${memberToken}` });
      const answer = await response.text();
      if (response.status !== 403 || !answer.includes('"error":"forbidden"')) {
        wrong.push(`${describeRoute(route)} → ${response.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("an administrator reading", () => {
  test("every admin GET route answers (no error) with nosniff; every page with a CSP without inline script that forbids framing", async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((one) => one.method === "GET")) {
      const response = await send(route, { cookie: admin.header() });
      const type = response.headers.get("content-type") ?? "";
      // A live stream (SSE) never ends: its headers are enough.
      await (type.startsWith("text/event-stream") ? response.body?.cancel() : response.arrayBuffer());
      const name = describeRoute(route);
      if (response.status >= 400) wrong.push(`${name} → ${response.status}`);
      if (response.headers.get("x-content-type-options") !== "nosniff") wrong.push(`${name}: no nosniff`);
      if (!type.startsWith("text/html")) continue;
      const csp = response.headers.get("content-security-policy") ?? "";
      const scripts =
        /(?:^|;)\s*script-src([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src([^;]*)/.exec(csp)?.[1];
      if (!/frame-ancestors 'none'/.test(csp)) wrong.push(`${name}: CSP without frame-ancestors 'none'`);
      if (scripts === undefined || /unsafe-inline|unsafe-eval|\*/.test(scripts)) {
        wrong.push(`${name}: CSP allows inline or foreign script (${csp})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("an administrator's session without the CSRF token", () => {
  const changing = () => routes.filter((route) => STATE_CHANGING.has(route.method));

  test("every state-changing admin page route: form without _csrf, or with a wrong one → 403, nothing changed", async () => {
    const pages = changing().filter((route) => !isApi(route));
    expect(pages.length).toBeGreaterThan(20);
    const before = databaseRows();
    const wrong: string[] = [];
    for (const route of pages) {
      const forms: Record<string, string>[] = [{}, { _csrf: `${adminCsrf.slice(0, -2)}xx` }];
      for (const form of forms) {
        const response = await send(route, { cookie: admin.header() }, form);
        const answer = await response.text();
        if (response.status !== 403 || !answer.includes("Request refused")) {
          wrong.push(
            `${describeRoute(route)} ${"_csrf" in form ? "wrong" : "no"} token → ${response.status}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(databaseRows()).toBe(before);
  });

  test("every state-changing API route: session cookie without X-CSRF-Token, or with a wrong one → 403 csrf_failed, nothing changed", async () => {
    const api = changing().filter(isApi);
    expect(api.length).toBeGreaterThan(30);
    const before = databaseRows();
    const wrong: string[] = [];
    for (const route of api) {
      const tokens: Record<string, string>[] = [{}, { "x-csrf-token": `${adminCsrf.slice(0, -2)}xx` }];
      for (const headers of tokens) {
        const response = await send(route, { cookie: admin.header(), ...headers });
        const answer = await response.text();
        if (response.status !== 403 || !answer.includes('"error":"csrf_failed"')) {
          wrong.push(`${describeRoute(route)} → ${response.status} ${answer.slice(0, 120)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(databaseRows()).toBe(before);
  });

  test("the same session with its CSRF token is let through (the refusals above are the token's)", async () => {
    // One harmless change per kind: a page form and an API call; the row comparison sees them.
    const before = databaseRows();
    const page = await fetch(`${gateway.url}/admin/users/${ids.user}/disable`, {
      method: "POST",
      redirect: "manual",
      headers: {
        origin: gateway.url,
        cookie: admin.header(),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: adminCsrf }).toString(),
    });
    await page.body?.cancel();
    expect(page.status).toBeLessThan(400);
    expect(gateway.ctx.users.byId(ids.user as string)?.isActive).toBe(false);
    const api = await fetch(`${gateway.url}/admin/api/groups`, {
      method: "POST",
      headers: {
        origin: gateway.url,
        cookie: admin.header(),
        "content-type": "application/json",
        "x-csrf-token": adminCsrf,
      },
      body: JSON.stringify({ name: "support" }),
    });
    expect(api.status).toBe(201);
    expect(databaseRows()).not.toBe(before);
  });
});
