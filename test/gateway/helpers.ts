import { Client, type ClientOptions } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createUser, jsonInit, login, type TestGateway } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

/** Creates a server through the admin API with the given admin token; returns its JSON view. */
export async function createServer(
  gateway: TestGateway,
  adminToken: string,
  body: Record<string, unknown>,
): Promise<{ id: string; name: string } & Record<string, unknown>> {
  const response = await gateway.request(
    "/admin/api/mcp-servers",
    jsonInit(body, { headers: { authorization: `Bearer ${adminToken}` } }),
  );
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; name: string };
}

export async function adminAndUser(gateway: TestGateway) {
  const admin = await createUser(gateway, "root", { isAdmin: true });
  const user = await createUser(gateway, "alice");
  const other = await createUser(gateway, "mallory");
  const adminToken = (await login(gateway, "root")).access_token;
  return { admin, user, other, adminToken };
}

/** A gateway on loopback with an MCP backend beside it (not registered) and the users of `adminAndUser`. */
export interface GatewayWithUsers {
  gateway: ListeningGateway;
  backend: McpBackend;
  setup: Awaited<ReturnType<typeof adminAndUser>>;
  /** Closes the gateway, then the backend. */
  close(): Promise<void>;
}

export async function gatewayWithUsers(env: Record<string, string> = {}): Promise<GatewayWithUsers> {
  const backend = await startMcpBackend();
  const gateway = await listeningGateway(env);
  const setup = await adminAndUser(gateway);
  return {
    gateway,
    backend,
    setup,
    close: async () => {
      await gateway.close();
      await backend.close();
    },
  };
}

export async function tokenFor(gateway: TestGateway, username: string, server: string): Promise<string> {
  return (await login(gateway, username, { resource: `${gateway.ctx.config.publicUrl}/mcp/${server}` }))
    .access_token;
}

export async function sdkClient(
  url: string,
  token?: string,
  options?: ClientOptions,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name: "test-client", version: "1.0.0" }, options);
  await client.connect(transport);
  return { client, transport };
}

/** An `initialize` request as a raw Streamable HTTP client sends it. */
export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
} as const;

/** POSTs one JSON-RPC message with the Content-Type and Accept a Streamable HTTP client sends. */
export function postMessage(url: string, message: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(message),
  });
}
