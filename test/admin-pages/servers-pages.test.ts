import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Html from "@kitajs/html";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

const SECRET = "backend-secret-Zq81x";
const HOSTILE_NAME = "<script>alert('name')</script>";
const HOSTILE_DESCRIPTION = '<img src=x onerror="alert(1)"> & </td></tr>';

/**
 * A stateless MCP backend answering JSON: initialize, and tools/list with a hostile tool. It
 * records the Authorization header of each request (the gateway must send its credential).
 */
function hostileBackend() {
  const authorizations: (string | null)[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      authorizations.push(request.headers.get("authorization"));
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as { id?: number | string; method: string };
      if (message.id === undefined) return new Response(null, { status: 202 });
      const result =
        message.method === "initialize"
          ? {
              protocolVersion: "2025-06-18",
              capabilities: { tools: {} },
              serverInfo: { name: "<b>hostile</b>", version: "1" },
            }
          : message.method === "tools/list"
            ? {
                tools: [
                  { name: HOSTILE_NAME, description: HOSTILE_DESCRIPTION, inputSchema: { type: "object" } },
                  { name: "plain", inputSchema: { type: "object" } },
                ],
              }
            : {};
      return Response.json({ jsonrpc: "2.0", id: message.id, result });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/mcp`, authorizations, stop: () => server.stop(true) };
}

let gateway: TestGateway;
let backend: ReturnType<typeof hostileBackend>;
let hostileId: string;
let deadId: string;
let metadataId: string;

beforeAll(async () => {
  gateway = await testGateway();
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  backend = hostileBackend();
  const registry = gateway.app.decorator.gateway.registry;
  const create = async (input: Parameters<typeof registry.create>[0]) => {
    const created = await registry.create(input);
    if (!created.ok) throw new Error(created.message);
    return created.server.id;
  };
  hostileId = await create({
    name: "hostile",
    displayName: "<i>Hostile</i>",
    url: backend.url,
    credential: { kind: "bearer", token: SECRET },
  });
  // Nothing listens on port 9 of loopback: the connection is refused.
  deadId = await create({ name: "dead", url: "http://127.0.0.1:9/mcp", timeoutMs: 5000 });
  // A cloud metadata address: refused by the backend address guard before any connection.
  metadataId = await create({ name: "metadata", url: "http://169.254.169.254/mcp" });
});
afterAll(() => {
  backend?.stop();
  gateway?.close();
});

async function signedIn(username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  expect(result.response.status).toBe(303);
  return jar;
}

async function testConnection(jar: Jar, id: string) {
  const csrf = hiddenValue((await getPage(gateway, jar, `/admin/servers/${id}`)).html, "_csrf") as string;
  return postForm(gateway, jar, `/admin/servers/${id}/test`, { _csrf: csrf });
}

describe("admin MCP servers pages", () => {
  test("without a session → the login; a non-admin → 403 (the test runs nothing)", async () => {
    for (const path of ["/admin/servers", `/admin/servers/${hostileId}`]) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get("location") as string, "http://x");
      expect(location.pathname).toBe("/login");
      expect(location.searchParams.get("return_to")).toBe(path);
    }
    const jar = await signedIn("alice");
    for (const path of ["/admin/servers", `/admin/servers/${hostileId}`]) {
      const { response, html } = await getPage(gateway, jar, path);
      expect(response.status).toBe(403);
      expect(html).not.toContain(backend.url);
    }
    const csrf = hiddenValue((await getPage(gateway, jar, "/portal")).html, "_csrf") ?? "";
    const before = backend.authorizations.length;
    const post = await postForm(gateway, jar, `/admin/servers/${hostileId}/test`, { _csrf: csrf });
    expect(post.response.status).toBe(403);
    expect(backend.authorizations.length).toBe(before);
  });

  test("the list shows every server with transport, URL, enabled and health, escaped", async () => {
    const jar = await signedIn();
    const { response, html } = await getPage(gateway, jar, "/admin/servers");
    expect(response.status).toBe(200);
    const rows = parseElements(html, "tr[data-server]");
    expect(rows.map((row) => row["data-server"]).sort()).toEqual([deadId, hostileId, metadataId].sort());
    expect(html).toContain(backend.url);
    expect(html).toContain("streamable-http");
    expect(html).toContain("unknown");
    expect(html).toContain('<a href="/admin/servers" aria-current="page">MCP servers</a>');

    // After a health check, the dead server's row says offline with its last error.
    const health = gateway.app.decorator.gateway.health;
    const checked = await health.check(gateway.app.decorator.gateway.registry.byId(deadId)!);
    expect(checked.status).toBe("offline");
    const after = await getPage(gateway, jar, "/admin/servers");
    const deadRow = after.html.slice(after.html.indexOf(`data-server="${deadId}"`));
    expect(deadRow.slice(0, deadRow.indexOf("</tr>"))).toContain("offline");
    expect(deadRow.slice(0, deadRow.indexOf("</tr>"))).toContain(Html.escapeHtml(checked.lastError ?? "?"));
  });

  test("a backend's hostile tool names and descriptions are shown as text; its credential is used, never shown", async () => {
    const jar = await signedIn();
    const detail = await getPage(gateway, jar, `/admin/servers/${hostileId}`);
    expect(detail.response.status).toBe(200);
    expect(detail.html).toContain("bearer (value not shown)");
    expect(detail.html).toContain("&lt;i&gt;Hostile&lt;/i&gt;");
    expect(detail.html).not.toContain(SECRET);

    const { response, html } = await testConnection(jar, hostileId);
    expect(response.status).toBe(200);
    expect(html).toContain("2 tools listed");
    expect(html).toContain("&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/td&gt;&lt;/tr&gt;");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(parseElements(html, "tr[data-tool]")).toHaveLength(2);
    expect(html).not.toContain(SECRET);
    // The backend received the gateway's credential for it, never the admin's session.
    expect(backend.authorizations).toContain(`Bearer ${SECRET}`);
  });

  test("a dead backend shows its error, not a 500; an address the guard refuses is never contacted", async () => {
    const jar = await signedIn();
    const dead = await testConnection(jar, deadId);
    expect(dead.response.status).toBe(200);
    expect(dead.html).toContain("Connection failed");
    const error = /<pre class="server-test-error">([^<]*)<\/pre>/.exec(dead.html)?.[1] ?? "";
    expect(error).toContain("Unable to connect");

    const refused = await testConnection(jar, metadataId);
    expect(refused.response.status).toBe(200);
    expect(refused.html).toContain("Connection failed");
    expect(refused.html).toContain("Backend address refused");
  });

  test("the test POST without the CSRF token or from another origin → 403, the backend is not contacted", async () => {
    const jar = await signedIn();
    const csrf = hiddenValue(
      (await getPage(gateway, jar, `/admin/servers/${hostileId}`)).html,
      "_csrf",
    ) as string;
    const before = backend.authorizations.length;
    const missing = await postForm(gateway, jar, `/admin/servers/${hostileId}/test`, {});
    expect(missing.response.status).toBe(403);
    const wrong = await postForm(gateway, jar, `/admin/servers/${hostileId}/test`, { _csrf: "forged" });
    expect(wrong.response.status).toBe(403);
    const crossSite = await postForm(
      gateway,
      jar,
      `/admin/servers/${hostileId}/test`,
      { _csrf: csrf },
      { origin: "https://evil.example" },
    );
    expect(crossSite.response.status).toBe(403);
    expect(backend.authorizations.length).toBe(before);
  });

  test("an unknown server → 404 page", async () => {
    const jar = await signedIn();
    const { response, html } = await getPage(gateway, jar, "/admin/servers/srv_nope");
    expect(response.status).toBe(404);
    expect(html).toContain("No such MCP server");
  });
});
