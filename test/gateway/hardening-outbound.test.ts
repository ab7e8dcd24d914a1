import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { parseIp } from "../../src/gateway/ip-networks.ts";
import { BackendAddressGuard } from "../../src/gateway/url-guard.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, postMessage } from "./helpers.ts";

/** §6 of the hardening issue: where the gateway's own requests may go. */

/** Names the tests make resolve to chosen addresses; anything else does not resolve. */
const answers = new Map<string, string[]>();
const lookups: string[] = [];
const resolveHost = async (host: string) => {
  lookups.push(host);
  const found = answers.get(host);
  if (!found) throw new Error(`ENOTFOUND ${host}`);
  return found;
};

/** A second origin that records whatever reaches it: after a redirect, nothing may. */
let elsewhere: ReturnType<typeof Bun.serve>;
const reachedElsewhere: { url: string; headers: Record<string, string> }[] = [];
let gateway: ListeningGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeAll(async () => {
  elsewhere = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      reachedElsewhere.push({ url: request.url, headers: Object.fromEntries(request.headers) });
      return Response.json({ access_token: "stolen", expires_in: 60 });
    },
  });
  gateway = await listeningGateway(
    { MCP_BACKEND_DNS_CACHE_MS: "5000", MCP_BACKEND_TOKEN_BACKOFF_MS: "1" },
    { resolveHost },
  );
  setup = await adminAndUser(gateway);
});
beforeEach(() => {
  answers.clear();
  lookups.length = 0;
  reachedElsewhere.length = 0;
});
afterAll(async () => {
  await gateway?.close();
  elsewhere?.stop(true);
});

/** A server that answers everything with a redirect to `elsewhere` (another origin: localhost). */
function redirector() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      new Response(null, {
        status: 307,
        headers: { location: `http://localhost:${elsewhere.port}${new URL(request.url).pathname}` },
      }),
  });
}

const post = (body: unknown) =>
  gateway.request("/admin/api/mcp-servers", {
    method: "POST",
    headers: { authorization: `Bearer ${setup.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("redirects are never followed", () => {
  test("health check: the second origin receives nothing (no X-Api-Key), the server is reported down", async () => {
    const redirecting = redirector();
    try {
      const server = await createServer(gateway, setup.adminToken, {
        name: "hc",
        url: `http://127.0.0.1:${redirecting.port}/mcp`,
        credential: { type: "headers", headers: { "X-Api-Key": "backend-key-1" } },
      });
      const health = await gateway.app.decorator.gateway.health.check(
        gateway.app.decorator.gateway.registry.byId(server.id) as never,
      );
      expect(reachedElsewhere).toEqual([]);
      expect(health.status).toBe("offline");
      expect(health.lastError).toContain("redirect");
    } finally {
      redirecting.stop(true);
    }
  });

  test("legacy SSE health check and bridge: the second origin receives nothing", async () => {
    const redirecting = redirector();
    try {
      const server = await createServer(gateway, setup.adminToken, {
        name: "legacy",
        url: `http://127.0.0.1:${redirecting.port}/sse`,
        transport: "sse",
        auth_required: false,
        credential: { type: "bearer", token: "legacy-secret" },
      });
      const health = await gateway.app.decorator.gateway.health.check(
        gateway.app.decorator.gateway.registry.byId(server.id) as never,
      );
      expect(health.status).toBe("offline");
      expect(health.lastError).toContain("redirect");
      const response = await postMessage(`${gateway.url}/mcp/legacy`, {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      });
      expect(response.status).toBe(502);
      expect(response.headers.get("location")).toBeNull();
      expect(reachedElsewhere).toEqual([]);
    } finally {
      redirecting.stop(true);
    }
  });

  test("proxy: a redirecting backend gives a 502, nothing is sent to the second origin", async () => {
    const redirecting = redirector();
    try {
      await createServer(gateway, setup.adminToken, {
        name: "px",
        url: `http://127.0.0.1:${redirecting.port}/mcp`,
        auth_required: false,
        credential: { type: "bearer", token: "backend-secret" },
      });
      const response = await postMessage(`${gateway.url}/mcp/px`, { jsonrpc: "2.0", id: 9, method: "ping" });
      expect(response.status).toBe(502);
      expect(response.headers.get("location")).toBeNull();
      expect(((await response.json()) as { id: number }).id).toBe(9);
      expect(reachedElsewhere).toEqual([]);
    } finally {
      redirecting.stop(true);
    }
  });

  test("backend token fetch: a redirecting token endpoint gets no client secret across, the request fails", async () => {
    const redirecting = redirector();
    const backend: McpBackend = await startMcpBackend();
    try {
      const server = await createServer(gateway, setup.adminToken, {
        name: "cc",
        url: backend.url,
        auth_required: false,
        credential: {
          type: "client_credentials",
          token_url: `http://127.0.0.1:${redirecting.port}/token`,
          client_id: "gw",
          client_secret: "cc-secret",
        },
      });
      const response = await postMessage(`${gateway.url}/mcp/cc`, { jsonrpc: "2.0", id: 4, method: "ping" });
      expect(response.status).toBe(502);
      const refresh = await gateway.request(`/admin/api/mcp-servers/${server.id}/refresh-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${setup.adminToken}` },
      });
      expect(refresh.status).toBe(502);
      expect(reachedElsewhere).toEqual([]);
      expect(backend.received).toEqual([]);
      expect(gateway.logs.some((l) => l.includes("redirects are not followed"))).toBe(true);
    } finally {
      redirecting.stop(true);
      await backend.close();
    }
  });
});

describe("backend addresses are resolved and checked", () => {
  test("saving: names resolving to metadata or link-local addresses and embedded IPv4 forms are refused", async () => {
    answers.set("imds.test", ["10.0.0.5", "169.254.169.254"]);
    answers.set("mapped.test", ["::ffff:169.254.169.254"]);
    answers.set("ecs.test", ["169.254.170.2"]);
    answers.set("aws6.test", ["fd00:ec2::254"]);
    answers.set("private.test", ["10.1.2.3", "fd12::1"]);
    const refused: [Record<string, unknown>, string][] = [
      [{ url: "http://imds.test/mcp" }, "url"],
      [{ url: "http://mapped.test/mcp" }, "url"],
      [{ url: "http://ecs.test/mcp" }, "url"],
      [{ url: "http://aws6.test/mcp" }, "url"],
      [{ url: "http://[::169.254.169.254]/mcp" }, "url"],
      [{ url: "http://[64:ff9b::a9fe:a9fe]/mcp" }, "url"],
      [{ url: "http://[2002:a9fe:a9fe::1]/mcp" }, "url"],
      [{ url: "http://[::ffff:0:a9fe:a9fe]/mcp" }, "url"],
      [{ url: "http://100.100.100.200/mcp" }, "url"],
      [
        {
          url: "http://private.test/mcp",
          credential: {
            type: "client_credentials",
            token_url: "http://imds.test/token",
            client_id: "a",
            client_secret: "b",
          },
        },
        "credential.token_url",
      ],
    ];
    for (const [fields, field] of refused) {
      const response = await post({ name: "x", ...fields });
      expect([fields, response.status]).toEqual([fields, 400]);
      const error = (await response.json()) as { error_description: string };
      expect(error.error_description).toStartWith(`${field}: `);
      expect(error.error_description).toContain("MCP_BACKEND_ALLOWED_NETWORKS");
    }
    // A PATCH onto such a name is refused as well.
    const ok = await createServer(gateway, setup.adminToken, { name: "ok", url: "http://private.test/mcp" });
    const patched = await gateway.request(`/admin/api/mcp-servers/${ok.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${setup.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://imds.test/mcp" }),
    });
    expect(patched.status).toBe(400);
    // Loopback, private and unique-local backends stay allowed; an unresolvable name can be saved
    // (it is checked again at every connection).
    for (const url of [
      "http://127.0.0.1:9/mcp",
      "http://[::1]:9/mcp",
      "http://192.168.1.4/mcp",
      "http://not-yet.test/mcp",
    ]) {
      const response = await post({ name: `n${Bun.hash(url).toString(36)}`, url });
      expect([url, response.status]).toEqual([url, 201]);
    }
    expect(gateway.app.decorator.gateway.registry.list().map((s) => s.url)).not.toContain(
      "http://imds.test/mcp",
    );
  });

  test("connect time: a name that starts resolving to a metadata address is refused once its check expires", async () => {
    const backend: McpBackend = await startMcpBackend();
    try {
      const port = new URL(backend.url).port;
      answers.set("localhost", ["127.0.0.1"]);
      const server = await createServer(gateway, setup.adminToken, {
        name: "rebind",
        url: `http://localhost:${port}/mcp`,
        auth_required: false,
      });
      const ping = () => postMessage(`${gateway.url}/mcp/rebind`, { jsonrpc: "2.0", id: 5, method: "ping" });
      lookups.length = 0;
      // The hot path resolves once per period (MCP_BACKEND_DNS_CACHE_MS), not per request.
      for (let i = 0; i < 3; i++) expect((await ping()).status).not.toBe(502);
      expect(lookups).toEqual(["localhost"]);
      answers.set("localhost", ["169.254.169.254"]);
      gateway.clock.advance(5001);
      const received = backend.received.length;
      const refused = await ping();
      expect(refused.status).toBe(502);
      expect(await refused.json()).toMatchObject({ id: 5, error: { message: "Backend address refused" } });
      expect(backend.received.length).toBe(received);
      expect(gateway.logs.some((l) => l.includes("backend address refused"))).toBe(true);
      const health = await gateway.app.decorator.gateway.health.check(
        gateway.app.decorator.gateway.registry.byId(server.id) as never,
      );
      expect(health.status).toBe("offline");
      expect(health.lastError).toContain("169.254.169.254");
      expect(backend.received.length).toBe(received);
    } finally {
      await backend.close();
    }
  });
});

describe("MCP_BACKEND_ALLOWED_NETWORKS", () => {
  test("an operator can allow a metadata network on purpose; malformed entries are refused at start", async () => {
    const allowing = await listeningGateway(
      { MCP_BACKEND_ALLOWED_NETWORKS: "169.254.169.254/32, fd00:ec2::/32" },
      { resolveHost },
    );
    try {
      const { adminToken } = await adminAndUser(allowing);
      const save = (body: unknown) =>
        allowing.request("/admin/api/mcp-servers", {
          method: "POST",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      answers.set("imds.test", ["169.254.169.254"]);
      for (const url of [
        "http://imds.test/mcp",
        "http://[::ffff:169.254.169.254]/mcp",
        "http://[fd00:ec2::254]/",
      ]) {
        const response = await save({ name: `n${Bun.hash(url).toString(36)}`, url });
        expect([url, response.status]).toEqual([url, 201]);
      }
      // Only what is listed: the rest of link-local stays refused.
      expect((await save({ name: "other", url: "http://169.254.170.2/" })).status).toBe(400);
    } finally {
      await allowing.close();
    }
    // The same URL on the gateway with the default setting is refused.
    expect((await post({ name: "other", url: "http://169.254.169.254/" })).status).toBe(400);
    expect(() =>
      loadConfig({ env: { MCP_BACKEND_ALLOWED_NETWORKS: "10.0.0.0/33" }, cwd: gateway.dir }),
    ).toThrow("MCP_BACKEND_ALLOWED_NETWORKS");
  });
});

describe("the address rules", () => {
  const guard = new BackendAddressGuard([], () => 0);
  const refused = (address: string) => guard.addressProblem(parseIp(address) as Uint8Array) !== undefined;

  test("link-local and metadata addresses in every IPv6 form are refused; loopback and private are not", () => {
    for (const address of [
      "169.254.169.254",
      "169.254.0.1",
      "100.100.100.200",
      "fe80::1",
      "fd00:ec2::254",
      "::ffff:169.254.169.254",
      "::ffff:a9fe:a9fe",
      "::169.254.169.254",
      "64:ff9b::169.254.169.254",
      "64:ff9b:1::a9fe:a9fe",
      "2002:a9fe:a9fe::",
      "2001:0:a9fe:a9fe::1",
      "2001:0:4136:e378:8000:63bf:5601:5601", // Teredo whose client is 169.254.169.254
    ]) {
      expect([address, refused(address)]).toEqual([address, true]);
    }
    for (const address of [
      "127.0.0.1",
      "::1",
      "10.0.0.1",
      "172.16.0.1",
      "192.168.0.1",
      "100.64.0.1",
      "fd12::1",
      "8.8.8.8",
      "2606:4700::1111",
      "::ffff:127.0.0.1",
    ]) {
      expect([address, refused(address)]).toEqual([address, false]);
    }
  });
});
