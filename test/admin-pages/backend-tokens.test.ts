import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createServer } from "../gateway/helpers.ts";
import { stored } from "../security-events/helpers.ts";
import { createUser, login, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { startTokenEndpoint, type TokenEndpoint } from "./backend-tokens-endpoint.ts";

const CC_SECRET = "cc-client-secret-4f9a";
const BEARER_SECRET = "static-bearer-secret-77c1";
const HEADER_SECRET = "header-api-key-secret-12ab";
const SECRETS = [CC_SECRET, BEARER_SECRET, HEADER_SECRET];

let gateway: TestGateway;
let endpoint: TokenEndpoint;
let adminToken: string;
let userToken: string;
const ids: Record<"cc" | "bearer" | "headers" | "none" | "person", string> = {
  cc: "",
  bearer: "",
  headers: "",
  none: "",
  person: "",
};

// One gateway for the file (users with passwords are slow to create); each test sets the endpoint's answer.
beforeAll(async () => {
  endpoint = startTokenEndpoint();
  gateway = await testGateway({ MCP_BACKEND_TOKEN_RETRIES: "2", MCP_BACKEND_TOKEN_BACKOFF_MS: "1" });
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  adminToken = (await login(gateway, "root")).access_token;
  userToken = (await login(gateway, "alice")).access_token;
  const backend = "http://127.0.0.1:9/mcp";
  const credentials = {
    cc: {
      type: "client_credentials",
      token_url: endpoint.url,
      client_id: "gateway-client",
      client_secret: CC_SECRET,
      scope: "mcp",
    },
    bearer: { type: "bearer", token: BEARER_SECRET },
    headers: { type: "headers", headers: { "X-Api-Key": HEADER_SECRET } },
    none: { type: "none" },
    // Each person's own token at an identity provider: needs a person, so auth_required.
    person: { type: "upstream_user_token", provider: "corp" },
  } as const;
  for (const [name, credential] of Object.entries(credentials)) {
    const server = await createServer(gateway, adminToken, {
      name,
      url: backend,
      auth_required: name === "person",
      credential,
    });
    ids[name as keyof typeof ids] = server.id;
  }
});
afterAll(async () => {
  await gateway?.close();
  endpoint?.stop();
});
beforeEach(() => {
  endpoint.mode = { kind: "issue", expiresIn: 3600 };
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function refreshApi(id: string, headers: Record<string, string> = bearer(adminToken)) {
  return gateway.request(`/admin/api/mcp-servers/${id}/refresh-token`, { method: "POST", headers });
}

interface TokenJson {
  server_id: string;
  name: string;
  credential_type: string;
  status: string;
  refreshable: boolean;
  expires_at: number | null;
  last_refresh_at: number | null;
  last_error: { message: string; at: number } | null;
}

async function listed(): Promise<Record<string, TokenJson>> {
  const response = await gateway.request("/admin/api/backend-tokens", { headers: bearer(adminToken) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { servers: TokenJson[] };
  return Object.fromEntries(body.servers.map((entry) => [entry.name, entry]));
}

async function signedIn(username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  expect(result.response.status).toBe(303);
  return jar;
}

/** The admin's page, with its CSRF token and the row of each server by name. */
async function tokensPage(jar: Jar) {
  const { response, html } = await getPage(gateway, jar, "/admin/backend-tokens");
  expect(response.status).toBe(200);
  const rows = Object.fromEntries(
    parseElements(html, "tr[data-server]").map((row) => [row["data-server"], row["data-status"]]),
  );
  return { html, csrf: hiddenValue(html, "_csrf") as string, rows };
}

/** The admin_change events of POSTs to `path`, oldest first. */
function refreshChanges(path: string) {
  return stored(gateway, "admin_change").filter((event) => event.details.action === `POST ${path}`);
}

function expectNoSecret(text: string) {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  // Nor the client secret as the Basic header carries it.
  expect(text).not.toContain(Buffer.from(`gateway-client:${CC_SECRET}`).toString("base64"));
}

describe("backend tokens: JSON API", () => {
  test("refresh-token: 200 with the new status, expiry and refresh time; the endpoint got the client's credentials", async () => {
    const before = endpoint.received.length;
    endpoint.mode = { kind: "issue", expiresIn: 1800 };
    const response = await refreshApi(ids.cc);
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenJson & { refreshed: boolean };
    const now = gateway.clock.now();
    expect(body).toMatchObject({
      refreshed: true,
      server_id: ids.cc,
      credential_type: "client_credentials",
      status: "ok",
      refreshable: true,
      expires_at: now + 1_800_000,
      last_refresh_at: now,
    });
    expect(endpoint.received.length).toBe(before + 1);
    const sent = endpoint.received.at(-1);
    expect(sent?.authorization).toBe(
      `Basic ${Buffer.from(`gateway-client:${CC_SECRET}`).toString("base64")}`,
    );
    expect(sent?.body.get("grant_type")).toBe("client_credentials");
    expect(sent?.body.get("scope")).toBe("mcp");

    // A second refresh fetches again: a new expiry from the new answer.
    gateway.clock.advance(60_000);
    endpoint.mode = { kind: "issue", expiresIn: 7200 };
    const again = (await (await refreshApi(ids.cc)).json()) as TokenJson;
    expect(again.expires_at).toBe(gateway.clock.now() + 7_200_000);
    expect((await listed()).cc?.expires_at).toBe(again.expires_at);
  });

  test("list: every server's kind and status; static and absent credentials are not refreshable; no secret", async () => {
    const response = await gateway.request("/admin/api/backend-tokens", { headers: bearer(adminToken) });
    const text = await response.text();
    expectNoSecret(text);
    const all = await listed();
    expect(all.bearer).toMatchObject({
      credential_type: "bearer",
      status: "static",
      refreshable: false,
      expires_at: null,
    });
    expect(all.headers).toMatchObject({ credential_type: "headers", status: "static", refreshable: false });
    expect(all.none).toMatchObject({ credential_type: "none", status: "not_applicable", refreshable: false });
    expect(all.person).toMatchObject({
      credential_type: "upstream_user_token",
      status: "per_user",
      refreshable: false,
    });
    expect(all.cc?.refreshable).toBe(true);
  });

  test("a refusing token endpoint → 502 with its exact error (secret masked); the status says refresh failed", async () => {
    endpoint.mode = {
      kind: "refuse",
      status: 401,
      error: "invalid_client",
      description: `client secret ${CC_SECRET} is not valid`,
    };
    const response = await refreshApi(ids.cc);
    expect(response.status).toBe(502);
    const text = await response.text();
    expectNoSecret(text);
    const body = JSON.parse(text) as { error: string; error_description: string };
    expect(body.error).toBe("token_fetch_failed");
    expect(body.error_description).toBe(
      "token endpoint answered 401: invalid_client (client secret ******** is not valid)",
    );
    const entry = (await listed()).cc;
    expect(entry?.status).toBe("refresh_failed");
    expect(entry?.last_error).toEqual({ message: body.error_description, at: gateway.clock.now() });
    expect(gateway.logs.join("\n")).not.toContain(CC_SECRET);

    // The next success clears the failed status; the last error stays on record.
    endpoint.mode = { kind: "issue", expiresIn: 600 };
    expect((await refreshApi(ids.cc)).status).toBe(200);
    gateway.clock.advance(1000);
    const recovered = (await listed()).cc;
    expect(recovered?.status).toBe("ok");
    expect(recovered?.last_error?.message).toBe(body.error_description);

    // Past its expiry the token held is shown as expired.
    gateway.clock.advance(600_000);
    expect((await listed()).cc?.status).toBe("expired");
  });

  test("the client secret as the Basic header carried it is masked too; error text outside RFC 6749's characters is left out", async () => {
    const basic = Buffer.from(`gateway-client:${CC_SECRET}`).toString("base64");
    endpoint.mode = {
      kind: "refuse",
      status: 401,
      error: "invalid_client",
      description: `got Basic ${basic}`,
    };
    const echoed = (await (await refreshApi(ids.cc)).json()) as { error_description: string };
    expect(echoed.error_description).toBe("token endpoint answered 401: invalid_client (got Basic ********)");
    endpoint.mode = { kind: "refuse", status: 400, error: "invalid_request", description: 'say "hi"\n' };
    const odd = (await (await refreshApi(ids.cc)).json()) as { error_description: string };
    expect(odd.error_description).toBe("token endpoint answered 400: invalid_request");
  });

  test("409 for a credential the gateway does not fetch; 404 for an unknown server", async () => {
    const before = endpoint.received.length;
    for (const name of ["bearer", "headers", "none", "person"] as const) {
      const response = await refreshApi(ids[name]);
      expect(response.status).toBe(409);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("not_refreshable");
      expect(body.error_description).toContain(
        `a ${name === "person" ? "upstream_user_token" : name} credential`,
      );
    }
    const unknown = await refreshApi("no-such-server");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe("not_found");
    expect(endpoint.received.length).toBe(before);
  });

  test("a non-admin → 403; an admin session without the CSRF header → 403; with it → 200; each refresh is an admin_change", async () => {
    const before = endpoint.received.length;
    expect((await refreshApi(ids.cc, bearer(userToken))).status).toBe(403);
    expect((await gateway.request("/admin/api/backend-tokens", { headers: bearer(userToken) })).status).toBe(
      403,
    );
    expect((await refreshApi(ids.cc, {})).status).toBe(401);
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    const origin = new URL(gateway.ctx.config.publicUrl).origin;
    const noCsrf = await refreshApi(ids.cc, { cookie: jar.header(), origin });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: string }).error).toBe("csrf_failed");
    expect(endpoint.received.length).toBe(before);
    const changes = () => refreshChanges(`/admin/api/mcp-servers/${ids.cc}/refresh-token`);
    const recorded = changes().length;
    const withCsrf = await refreshApi(ids.cc, { cookie: jar.header(), origin, "x-csrf-token": csrf });
    expect(withCsrf.status).toBe(200);
    expect(endpoint.received.length).toBe(before + 1);
    const change = changes().at(-1);
    expect(changes()).toHaveLength(recorded + 1);
    expect(change?.details.admin).toBe("root");
    expect((change?.details.after as TokenJson | undefined)?.status).toBe("ok");
  });
});

describe("backend tokens: admin page", () => {
  test("without a session → the login; a non-admin → 403, the page and its form POST", async () => {
    const anonymous = await gateway.request("/admin/backend-tokens");
    expect(anonymous.status).toBe(303);
    const location = new URL(anonymous.headers.get("location") as string, "http://x");
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("return_to")).toBe("/admin/backend-tokens");
    const jar = await signedIn("alice");
    const { response, html } = await getPage(gateway, jar, "/admin/backend-tokens");
    expect(response.status).toBe(403);
    expect(html).not.toContain(ids.cc);
    const before = endpoint.received.length;
    const csrf = hiddenValue((await getPage(gateway, jar, "/portal/account")).html, "_csrf") as string;
    const post = await postForm(gateway, jar, `/admin/backend-tokens/${ids.cc}/refresh`, { _csrf: csrf });
    expect(post.response.status).toBe(403);
    expect(endpoint.received.length).toBe(before);
  });

  test("lists every server with kind, status and a Refresh now form only where refreshable; no secret", async () => {
    const jar = await signedIn();
    const { html, rows } = await tokensPage(jar);
    expectNoSecret(html);
    expect(rows[ids.bearer]).toBe("static");
    expect(rows[ids.headers]).toBe("static");
    expect(rows[ids.none]).toBe("not_applicable");
    expect(rows[ids.person]).toBe("per_user");
    expect(Object.keys(rows)).toHaveLength(5);
    expect(html).toContain("OAuth client credentials");
    expect(html).toContain("static bearer token");
    expect(parseElements(html, `form[action="/admin/backend-tokens/${ids.cc}/refresh"]`)).toHaveLength(1);
    expect(parseElements(html, `form[action="/admin/backend-tokens/${ids.bearer}/refresh"]`)).toHaveLength(0);
    expect(parseElements(html, "form.token-refresh")).toHaveLength(1);
    // htmx swaps the row in place, with a visible progress indicator and a bounded wait.
    const form = parseElements(html, "form.token-refresh")[0] as Record<string, string>;
    expect(form["hx-post"]).toBe(`/admin/backend-tokens/${ids.cc}/refresh`);
    expect(form["hx-indicator"]).toBe("find .htmx-indicator");
    const retries = gateway.ctx.config.backendTokenRetries;
    const wait = (
      JSON.parse((form["hx-request"] as string).replace(/&(quot|#34|#x22);/g, '"')) as { timeout: number }
    ).timeout;
    expect(wait).toBeGreaterThan(retries * gateway.ctx.config.backendTokenTimeoutMs);
    expect(parseElements(html, 'nav.admin-nav a[aria-current="page"]')[0]?.href).toBe(
      "/admin/backend-tokens",
    );
  });

  test("every POST without the CSRF token or from another origin → 403 and no token is fetched", async () => {
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    const before = endpoint.received.length;
    const path = `/admin/backend-tokens/${ids.cc}/refresh`;
    expect((await postForm(gateway, jar, path, {})).response.status).toBe(403);
    expect((await postForm(gateway, jar, path, { _csrf: "wrong" })).response.status).toBe(403);
    const foreign = await postForm(gateway, jar, path, { _csrf: csrf }, { origin: "https://evil.example" });
    expect(foreign.response.status).toBe(403);
    const htmx = await postForm(gateway, jar, path, {}, { "hx-request": "true" });
    expect(htmx.response.status).toBe(403);
    expect(endpoint.received.length).toBe(before);
  });

  test("Refresh now (plain form): the page again with a notice and the new expiry; an admin_change event", async () => {
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    const before = endpoint.received.length;
    endpoint.mode = { kind: "issue", expiresIn: 5400 };
    const { response, html } = await postForm(gateway, jar, `/admin/backend-tokens/${ids.cc}/refresh`, {
      _csrf: csrf,
    });
    expect(response.status).toBe(200);
    expect(endpoint.received.length).toBe(before + 1);
    const expiry = new Date(gateway.clock.now() + 5_400_000).toISOString();
    expect(parseElements(html, `tr[data-server="${ids.cc}"] td.token-expiry time`)[0]?.datetime).toBe(expiry);
    expect(html).toContain(`cc: new token fetched, expires ${expiry}.`);
    expectNoSecret(html);
    const change = refreshChanges(`/admin/backend-tokens/${ids.cc}/refresh`).at(-1);
    expect(change?.details.admin).toBe("root");
    expect((change?.details.after as TokenJson | undefined)?.expires_at).toBe(
      gateway.clock.now() + 5_400_000,
    );
    expectNoSecret(JSON.stringify(stored(gateway, "admin_change")));
  });

  test("Refresh now (htmx): only the row comes back, with the result; a failure shows the endpoint's error", async () => {
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    const path = `/admin/backend-tokens/${ids.cc}/refresh`;
    endpoint.mode = { kind: "issue", expiresIn: 900 };
    const ok = await postForm(gateway, jar, path, { _csrf: csrf }, { "hx-request": "true" });
    expect(ok.response.status).toBe(200);
    expect(ok.html).not.toContain("<html");
    expect(parseElements(ok.html, "tr[data-server]")).toEqual([
      expect.objectContaining({ "data-server": ids.cc, "data-status": "ok" }),
    ]);
    expect(parseElements(ok.html, "td.token-expiry time")[0]?.datetime).toBe(
      new Date(gateway.clock.now() + 900_000).toISOString(),
    );
    expect(ok.html).toContain("New token fetched.");

    endpoint.mode = {
      kind: "refuse",
      status: 400,
      error: "invalid_scope",
      description: "scope mcp is unknown",
    };
    const failed = await postForm(gateway, jar, path, { _csrf: csrf }, { "hx-request": "true" });
    expect(failed.response.status).toBe(200);
    expect(parseElements(failed.html, "tr[data-server]")[0]?.["data-status"]).toBe("refresh_failed");
    expect(failed.html).toContain("token endpoint answered 400: invalid_scope (scope mcp is unknown)");
    expectNoSecret(failed.html);

    // The same failure without htmx: the whole page, 502, the error on it.
    const plain = await postForm(gateway, jar, path, { _csrf: csrf });
    expect(plain.response.status).toBe(502);
    expect(plain.html).toContain(
      "cc: the token endpoint issued no token: token endpoint answered 400: invalid_scope",
    );
  });

  test("an error with HTML in it is shown as text", async () => {
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    endpoint.mode = {
      kind: "refuse",
      status: 401,
      error: "invalid_client",
      description: "<img src=x onerror=alert(1)>",
    };
    const path = `/admin/backend-tokens/${ids.cc}/refresh`;
    const htmx = await postForm(gateway, jar, path, { _csrf: csrf }, { "hx-request": "true" });
    const page = await tokensPage(jar);
    for (const html of [htmx.html, page.html]) {
      expect(parseElements(html, "img")).toHaveLength(0);
      expect(html).toContain("(&lt;img src=x onerror=alert(1)&gt;)");
    }
  });

  test("not refreshable → 409 page; unknown server → 404; an ended session under htmx → HX-Redirect to the login", async () => {
    const jar = await signedIn();
    const { csrf } = await tokensPage(jar);
    const before = endpoint.received.length;
    const staticOne = await postForm(gateway, jar, `/admin/backend-tokens/${ids.bearer}/refresh`, {
      _csrf: csrf,
    });
    expect(staticOne.response.status).toBe(409);
    expect(staticOne.html).toContain("cannot be refreshed");
    expectNoSecret(staticOne.html);
    const unknown = await postForm(gateway, jar, "/admin/backend-tokens/no-such/refresh", { _csrf: csrf });
    expect(unknown.response.status).toBe(404);
    expect(unknown.html).toContain("No such server");
    expect(endpoint.received.length).toBe(before);

    const ended = await gateway.request(`/admin/backend-tokens/${ids.cc}/refresh`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: `_csrf=${csrf}`,
    });
    expect(ended.status).toBe(200);
    const login = new URL(ended.headers.get("hx-redirect") as string, "http://x");
    expect(login.pathname).toBe("/login");
    expect(login.searchParams.get("return_to")).toBe("/admin/backend-tokens");
    expect(endpoint.received.length).toBe(before);
  });
});
