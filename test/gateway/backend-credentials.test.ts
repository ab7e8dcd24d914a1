import { afterEach, beforeEach, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { mcpServers } from "../../src/db/schema/gateway.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, sdkClient } from "./helpers.ts";

let gateway: ListeningGateway;
let backend: McpBackend;
let tokenServer: ReturnType<typeof Bun.serve>;
const issued: { auth: string | null; body: string }[] = [];
let failNext = 0;

beforeEach(async () => {
  issued.length = 0;
  failNext = 0;
  backend = await startMcpBackend();
  tokenServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const body = await request.text();
      if (failNext > 0) {
        failNext--;
        return new Response("busy", { status: 503 });
      }
      issued.push({ auth: request.headers.get("authorization"), body });
      return Response.json({
        access_token: `backend-token-${issued.length}`,
        token_type: "Bearer",
        expires_in: 120,
      });
    },
  });
  gateway = await listeningGateway({
    MCP_BACKEND_TOKEN_REFRESH_MARGIN_SECONDS: "30",
    MCP_BACKEND_TOKEN_BACKOFF_MS: "1",
  });
});
afterEach(async () => {
  await gateway.close();
  await backend.close();
  tokenServer.stop(true);
});

test("client-credentials: fetched before first use, cached, refreshed before expiry, forced by the API; sealed at rest", async () => {
  const { adminToken } = await adminAndUser(gateway);
  const server = await createServer(gateway, adminToken, {
    name: "cc",
    url: backend.url,
    auth_required: false,
    credential: {
      type: "client_credentials",
      token_url: `http://127.0.0.1:${tokenServer.port}/token`,
      client_id: "gateway-client",
      client_secret: "cc-secret-value",
      scope: "mcp",
    },
  });
  const row = gateway.ctx.db.select().from(mcpServers).where(eq(mcpServers.id, server.id)).get();
  expect(row?.credentialSealed).not.toContain("cc-secret-value");
  expect(row?.credentialSealed).not.toContain("gateway-client");
  expect(issued).toHaveLength(0);

  failNext = 1; // the first attempt fails: retried with backoff
  const { client } = await sdkClient(`${gateway.url}/mcp/cc`);
  await client.listTools();
  expect(issued).toHaveLength(1);
  expect(issued[0]?.auth).toBe(`Basic ${Buffer.from("gateway-client:cc-secret-value").toString("base64")}`);
  expect(new URLSearchParams(issued[0]?.body).get("grant_type")).toBe("client_credentials");
  expect(new URLSearchParams(issued[0]?.body).get("scope")).toBe("mcp");
  await client.callTool({ name: "echo", arguments: { text: "a" } });
  expect(issued).toHaveLength(1); // cached
  expect(backend.received.every((r) => r.headers.authorization === "Bearer backend-token-1")).toBe(true);

  gateway.clock.advance(91_000); // inside the 30 s margin of the 120 s token
  await client.callTool({ name: "echo", arguments: { text: "b" } });
  expect(issued).toHaveLength(2);
  expect(backend.received.at(-1)?.headers.authorization).toBe("Bearer backend-token-2");

  const forced = await gateway.request(`/admin/api/mcp-servers/${server.id}/refresh-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(forced.status).toBe(200);
  expect(issued).toHaveLength(3);
  await client.callTool({ name: "echo", arguments: { text: "c" } });
  expect(backend.received.at(-1)?.headers.authorization).toBe("Bearer backend-token-3");
  await client.close();

  const listed = await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(await listed.text()).not.toContain("cc-secret-value");
});

test("token endpoint down → 502 JSON-RPC error, and refresh-token reports the failure", async () => {
  const { adminToken } = await adminAndUser(gateway);
  const server = await createServer(gateway, adminToken, {
    name: "ccdown",
    url: backend.url,
    auth_required: false,
    credential: {
      type: "client_credentials",
      token_url: "http://127.0.0.1:9/token",
      client_id: "a",
      client_secret: "b",
    },
  });
  const response = await fetch(`${gateway.url}/mcp/ccdown`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 11, method: "ping" }),
  });
  expect(response.status).toBe(502);
  expect(((await response.json()) as { id: number }).id).toBe(11);
  expect(backend.received).toHaveLength(0);
  const forced = await gateway.request(`/admin/api/mcp-servers/${server.id}/refresh-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(forced.status).toBe(502);
});

test("a static credential changed through the API is used from the very next request", async () => {
  const setup = await adminAndUser(gateway);
  const server = await createServer(gateway, setup.adminToken, {
    name: "static",
    url: backend.url,
    auth_required: false,
    credential: { type: "bearer", token: "first-secret" },
  });
  const { client } = await sdkClient(`${gateway.url}/mcp/static`);
  await client.listTools();
  expect(backend.received.at(-1)?.headers.authorization).toBe("Bearer first-secret");

  const patched = await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${setup.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ credential: { type: "headers", headers: { "X-Api-Key": "second-secret" } } }),
  });
  expect(patched.status).toBe(200);
  const after = await sdkClient(`${gateway.url}/mcp/static`);
  await after.client.listTools();
  const last = backend.received.at(-1)?.headers;
  expect(last?.["x-api-key"]).toBe("second-secret");
  expect(last?.authorization).toBeUndefined();
  await client.close();
  await after.client.close();
});
