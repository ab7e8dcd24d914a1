import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import {
  adminAndUser,
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  tokenFor,
} from "../gateway/helpers.ts";
import { login, tempDir, testGateway } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

// The test client talks to the gateway from 127.0.0.1, a trusted proxy here: X-Forwarded-For
// then names the client address the allow-lists decide on.
const TRUSTED = { TRUSTED_PROXIES: "127.0.0.1" };
const OFFICE = "10.1.2.3";
const VPN = "192.0.2.5";
const ELSEWHERE = "198.51.100.7";

let stage: GatewayWithUsers | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stage?.close();
  stage = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function api(g: ListeningGateway, token: string, path: string, method: string, body?: unknown) {
  return g.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** An initialize on /mcp/{server} from `ip` (through the trusted proxy). */
function initializeFrom(g: ListeningGateway, server: string, token: string, ip: string) {
  return postMessage(`${g.url}/mcp/${server}`, INITIALIZE, {
    authorization: `Bearer ${token}`,
    "x-forwarded-for": ip,
  });
}

async function statusFrom(g: ListeningGateway, server: string, token: string, ip: string): Promise<number> {
  const response = await initializeFrom(g, server, token, ip);
  await response.body?.cancel();
  return response.status;
}

const initializesSeen = (backend: McpBackend) =>
  backend.received.filter((r) => (r.body as { method?: unknown } | undefined)?.method === "initialize")
    .length;

async function setUp() {
  stage = await gatewayWithUsers(TRUSTED);
  const { gateway: g, backend } = stage;
  const { adminToken, user, other } = stage.setup;
  const events: SecurityEvent[] = [];
  g.ctx.securityEvents.subscribe((event) => events.push(event));
  return { g, backend, adminToken, aliceId: user.id, malloryId: other.id, events };
}

describe("a server's network allow-list (per-server endpoint)", () => {
  test("an address outside is refused with 403 and a JSON-RPC error, an inside one served; IPv6 and IPv4-mapped addresses", async () => {
    const { g, backend, adminToken, aliceId, events } = await setUp();
    const created = await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      open_to_all: true,
      allowed_networks: ["10.1.0.0/16", "2001:db8::/32"],
    });
    expect(created.allowed_networks).toEqual(["10.1.0.0/16", "2001:db8::/32"]);
    const token = await tokenFor(g, "alice", "office");

    const refused = await initializeFrom(g, "office", token, ELSEWHERE);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as {
      jsonrpc: string;
      id: unknown;
      error: { code: number; message: string };
    };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.id).toBeNull();
    expect(body.error.message).toContain("not reachable from your network address");
    expect(initializesSeen(backend)).toBe(0);
    const denied = events.filter((e) => e.type === "permission_denied");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      userId: aliceId,
      ip: ELSEWHERE,
      details: { server: "office", reason: "network_not_allowed" },
    });

    expect(await statusFrom(g, "office", token, OFFICE)).toBe(200);
    expect(await statusFrom(g, "office", token, `::ffff:${OFFICE}`)).toBe(200);
    expect(await statusFrom(g, "office", token, "2001:db8:0:1::5")).toBe(200);
    expect(await statusFrom(g, "office", token, "2001:db9::5")).toBe(403);
    expect(await statusFrom(g, "office", token, "::ffff:10.2.0.1")).toBe(403);
    expect(initializesSeen(backend)).toBe(3);

    // Admins are held to the server's list too; a server without one is reachable from anywhere.
    expect(await statusFrom(g, "office", await tokenFor(g, "root", "office"), ELSEWHERE)).toBe(403);
    await createServer(g, adminToken, { name: "anywhere", url: backend.url, open_to_all: true });
    expect(await statusFrom(g, "anywhere", await tokenFor(g, "alice", "anywhere"), ELSEWHERE)).toBe(200);
  });

  test("without a trusted proxy X-Forwarded-For is ignored: the socket address decides", async () => {
    stage = await gatewayWithUsers();
    const { gateway: g, backend } = stage;
    const { adminToken } = stage.setup;
    await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      open_to_all: true,
      allowed_networks: ["10.1.0.0/16"],
    });
    const token = await tokenFor(g, "alice", "office");
    expect(await statusFrom(g, "office", token, OFFICE)).toBe(403);
    await createServer(g, adminToken, {
      name: "local",
      url: backend.url,
      open_to_all: true,
      allowed_networks: ["127.0.0.0/8"],
    });
    expect(await statusFrom(g, "local", await tokenFor(g, "alice", "local"), ELSEWHERE)).toBe(200);
  });

  test("a server without auth is held to its list too", async () => {
    const { g, backend, adminToken } = await setUp();
    await createServer(g, adminToken, {
      name: "public",
      url: backend.url,
      auth_required: false,
      allowed_networks: ["10.1.0.0/16"],
    });
    const from = async (ip: string) => {
      const response = await postMessage(`${g.url}/mcp/public`, INITIALIZE, { "x-forwarded-for": ip });
      await response.body?.cancel();
      return response.status;
    };
    expect(await from(ELSEWHERE)).toBe(403);
    expect(await from(OFFICE)).toBe(200);
  });

  test("changing or removing the list applies on the next request", async () => {
    const { g, backend, adminToken } = await setUp();
    const created = await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      open_to_all: true,
    });
    expect(created.allowed_networks).toBeNull();
    const token = await tokenFor(g, "alice", "office");
    expect(await statusFrom(g, "office", token, ELSEWHERE)).toBe(200);

    const patched = await api(g, adminToken, `/admin/api/mcp-servers/${created.id}`, "PATCH", {
      allowed_networks: ["10.1.0.0/16"],
    });
    expect(((await patched.json()) as { allowed_networks: unknown }).allowed_networks).toEqual([
      "10.1.0.0/16",
    ]);
    expect(await statusFrom(g, "office", token, ELSEWHERE)).toBe(403);

    // The dedicated route shows and replaces it.
    const path = `/admin/api/mcp-servers/${created.id}/allowed-networks`;
    expect(await (await api(g, adminToken, path, "GET")).json()).toEqual({
      allowed_networks: ["10.1.0.0/16"],
    });
    await api(g, adminToken, path, "PUT", { networks: ["198.51.100.0/24"] });
    expect(await statusFrom(g, "office", token, ELSEWHERE)).toBe(200);
    expect(await statusFrom(g, "office", token, OFFICE)).toBe(403);

    const cleared = await api(g, adminToken, `/admin/api/mcp-servers/${created.id}`, "PATCH", {
      allowed_networks: null,
    });
    expect(((await cleared.json()) as { allowed_networks: unknown }).allowed_networks).toBeNull();
    expect(await statusFrom(g, "office", token, OFFICE)).toBe(200);
    expect(await (await api(g, adminToken, path, "GET")).json()).toEqual({ allowed_networks: null });
  });
});

describe("users' and groups' network allow-lists", () => {
  test("a user's own list or any of their groups' lists (their union) must contain the address", async () => {
    const { g, backend, adminToken, aliceId } = await setUp();
    await createServer(g, adminToken, { name: "shared", url: backend.url, open_to_all: true });
    const alice = await tokenFor(g, "alice", "shared");
    const mallory = await tokenFor(g, "mallory", "shared");

    const userPath = `/admin/api/users/${aliceId}/allowed-networks`;
    const put = await api(g, adminToken, userPath, "PUT", { networks: ["10.1.0.0/16"] });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ allowed_networks: ["10.1.0.0/16"] });
    expect(await statusFrom(g, "shared", alice, VPN)).toBe(403);
    expect(await statusFrom(g, "shared", alice, OFFICE)).toBe(200);
    expect(await statusFrom(g, "shared", mallory, VPN)).toBe(200); // not her list

    // A group's list adds to the user's own.
    const group = (await (await api(g, adminToken, "/admin/api/groups", "POST", { name: "vpn" })).json()) as {
      id: string;
    };
    const groupPath = `/admin/api/groups/${group.id}/allowed-networks`;
    expect((await api(g, adminToken, groupPath, "PUT", { networks: ["192.0.2.0/24"] })).status).toBe(200);
    await api(g, adminToken, `/admin/api/groups/${group.id}/members/${aliceId}`, "PUT");
    expect(await statusFrom(g, "shared", alice, VPN)).toBe(200);
    expect(await statusFrom(g, "shared", alice, OFFICE)).toBe(200);
    expect(await statusFrom(g, "shared", alice, ELSEWHERE)).toBe(403);

    // Revoking the user's own list: the group's alone applies, from the next request.
    expect((await api(g, adminToken, userPath, "DELETE")).status).toBe(200);
    expect(await statusFrom(g, "shared", alice, OFFICE)).toBe(403);
    expect(await statusFrom(g, "shared", alice, VPN)).toBe(200);
    // Leaving the group: no list applies any more.
    await api(g, adminToken, `/admin/api/groups/${group.id}/members/${aliceId}`, "DELETE");
    expect(await statusFrom(g, "shared", alice, ELSEWHERE)).toBe(200);
    // A group deleted takes its list with it.
    await api(g, adminToken, `/admin/api/groups/${group.id}/members/${aliceId}`, "PUT");
    expect(await statusFrom(g, "shared", alice, ELSEWHERE)).toBe(403);
    expect((await api(g, adminToken, `/admin/api/groups/${group.id}`, "DELETE")).status).toBe(204);
    expect(await statusFrom(g, "shared", alice, ELSEWHERE)).toBe(200);
  });

  test("lists are kept across restarts; a deleted user's or server's list goes with it", async () => {
    const { g, backend, adminToken, aliceId, malloryId } = await setUp();
    const server = await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      allowed_networks: ["10.1.0.0/16"],
    });
    const gone = await createServer(g, adminToken, {
      name: "gone",
      url: backend.url,
      allowed_networks: ["10.9.0.0/16"],
    });
    for (const id of [aliceId, malloryId]) {
      await api(g, adminToken, `/admin/api/users/${id}/allowed-networks`, "PUT", {
        networks: ["192.0.2.0/24"],
      });
    }
    expect((await api(g, adminToken, `/admin/api/users/${malloryId}`, "DELETE")).status).toBe(204);
    expect((await api(g, adminToken, `/admin/api/mcp-servers/${gone.id}`, "DELETE")).status).toBe(204);

    const again = await testGateway({}, { dir: g.dir, keepDir: true });
    try {
      const networks = again.app.decorator.gateway.policy.networks;
      expect(networks?.list("server", server.id)).toEqual(["10.1.0.0/16"]);
      expect(networks?.list("user", aliceId)).toEqual(["192.0.2.0/24"]);
      expect(networks?.list("user", malloryId)).toBeUndefined();
      expect(networks?.list("server", gone.id)).toBeUndefined();
    } finally {
      await again.close();
    }
  });

  test("a user's list and the server's list must both contain the address", async () => {
    const { g, backend, adminToken, aliceId } = await setUp();
    await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      open_to_all: true,
      allowed_networks: ["10.0.0.0/8"],
    });
    await api(g, adminToken, `/admin/api/users/${aliceId}/allowed-networks`, "PUT", {
      networks: ["10.1.0.0/16"],
    });
    const alice = await tokenFor(g, "alice", "office");
    expect(await statusFrom(g, "office", alice, "10.2.0.1")).toBe(403);
    expect(await statusFrom(g, "office", alice, OFFICE)).toBe(200);
  });
});

describe("the aggregated /mcp", () => {
  async function connect(g: ListeningGateway, username: string, ip: string) {
    const token = (await login(g, username, { resource: `${g.url}/mcp` })).access_token;
    const transport = new StreamableHTTPClientTransport(new URL(`${g.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": ip } },
    });
    const client = new Client({ name: "networks-test", version: "1.0.0" });
    await client.connect(transport);
    cleanups.push(() => client.close());
    return client;
  }

  test("a server the caller's address may not reach is left out of lists and its calls refused", async () => {
    const { g, backend, adminToken } = await setUp();
    await createServer(g, adminToken, {
      name: "office",
      url: backend.url,
      open_to_all: true,
      allowed_networks: ["10.1.0.0/16"],
    });
    await createServer(g, adminToken, { name: "open", url: backend.url, open_to_all: true });

    const outside = await connect(g, "alice", ELSEWHERE);
    const outsideTools = (await outside.listTools()).tools.map((t) => t.name);
    expect(outsideTools.some((name) => name.startsWith("open"))).toBe(true);
    expect(outsideTools.some((name) => name.startsWith("office"))).toBe(false);
    const officeEcho = outsideTools
      .find((name) => name.startsWith("open"))
      ?.replace(/^open/, "office") as string;
    const refused = await outside.callTool({ name: officeEcho, arguments: { text: "hi" } }).catch((e) => e);
    expect(String(refused)).toContain(`Unknown tool: ${officeEcho}`);
    const echoesSeen = () =>
      backend.received.filter((r) => (r.body as { method?: unknown } | undefined)?.method === "tools/call")
        .length;
    expect(echoesSeen()).toBe(0);

    const inside = await connect(g, "alice", OFFICE);
    const insideTools = (await inside.listTools()).tools.map((t) => t.name);
    expect(insideTools).toContain(officeEcho);
    const echoed = await inside.callTool({ name: officeEcho, arguments: { text: "hi" } });
    expect(echoed.content).toEqual([{ type: "text", text: "hi" }]);
    expect(echoesSeen()).toBe(1);
  });
});

describe("bad input", () => {
  test("a malformed network is a 400 naming it, in every API that takes one", async () => {
    const { g, backend, adminToken, aliceId } = await setUp();
    const created = await g.request("/admin/api/mcp-servers", {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "office",
        url: backend.url,
        allowed_networks: ["10.0.0.0/8", "10.0.0.0/33"],
      }),
    });
    expect(created.status).toBe(400);
    expect(await created.text()).toContain("10.0.0.0/33");
    const server = await createServer(g, adminToken, { name: "office", url: backend.url });
    const patched = await api(g, adminToken, `/admin/api/mcp-servers/${server.id}`, "PATCH", {
      allowed_networks: ["vpn.example"],
    });
    expect(patched.status).toBe(400);
    expect(await patched.text()).toContain("vpn.example");
    for (const bad of [
      { networks: ["300.1.1.1/8"] },
      { networks: "10.0.0.0/8" },
      { nets: [] },
      { networks: [7] },
    ]) {
      const response = await api(g, adminToken, `/admin/api/users/${aliceId}/allowed-networks`, "PUT", bad);
      expect(response.status).toBe(400);
    }
    const named = await api(g, adminToken, `/admin/api/users/${aliceId}/allowed-networks`, "PUT", {
      networks: ["2001:db8::/129"],
    });
    expect(await named.text()).toContain("2001:db8::/129");
    expect((await api(g, adminToken, "/admin/api/groups/nope/allowed-networks", "GET")).status).toBe(404);
    const aliceToken = (await login(g, "alice")).access_token;
    expect(
      (await api(g, aliceToken, `/admin/api/users/${aliceId}/allowed-networks`, "PUT", { networks: [] }))
        .status,
    ).toBe(403);
  });

  test("the config file's mcp_services: a bad network stops the start naming it; a good list applies and is read-only", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "bad.yaml"),
      [
        "mcp_services:",
        "  office:",
        "    name: Office",
        '    url: "http://127.0.0.1:9/mcp"',
        '    allowed_networks: ["10.0.0.0/8", "office-lan"]',
      ].join("\n"),
    );
    let problems: string[] = [];
    try {
      loadConfig({ env: {}, cwd: dir, cli: { configFile: "bad.yaml" } });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.join("\n")).toContain("mcp_services.office.allowed_networks.1");
    expect(problems.join("\n")).toContain("office-lan");

    const backend = await startMcpBackend();
    cleanups.push(() => backend.close());
    const file = join(dir, "good.yaml");
    writeFileSync(
      file,
      [
        "mcp_services:",
        "  office:",
        "    name: Office",
        `    url: "${backend.url}"`,
        '    allowed_networks: ["10.1.0.0/16"]',
      ].join("\n"),
    );
    const g = await listeningGateway(TRUSTED, { dir, configFile: file });
    cleanups.push(() => g.close());
    const { adminToken } = await adminAndUser(g);
    const root = await tokenFor(g, "root", "office");
    expect(await statusFrom(g, "office", root, ELSEWHERE)).toBe(403);
    expect(await statusFrom(g, "office", root, OFFICE)).toBe(200);
    const put = await api(g, adminToken, "/admin/api/mcp-servers/cfg-office/allowed-networks", "PUT", {
      networks: ["0.0.0.0/0"],
    });
    expect(put.status).toBe(409);
    expect(await statusFrom(g, "office", root, ELSEWHERE)).toBe(403);
  });
});
