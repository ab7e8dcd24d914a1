import { expect } from "bun:test";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  tokenFor,
} from "../gateway/helpers.ts";
import type { ListeningGateway } from "../support/server.ts";

export interface ActivityRow {
  id?: number;
  at: string;
  user_id: string | null;
  client_id: string | null;
  server: string;
  endpoint: string;
  session_id: string | null;
  method: string;
  target: string | null;
  outcome: string;
  http_status: number;
  rpc_error_code: number | null;
  latency_ms: number;
  request_bytes: number;
  response_bytes: number | null;
  ip: string | null;
}

/** A listening gateway, its backend registered as "shared" (open to all), alice's token for it. */
export async function activityStage(env: Record<string, string> = {}) {
  const stage: GatewayWithUsers = await gatewayWithUsers(env);
  const { gateway, backend, setup } = stage;
  const server = await createServer(gateway, setup.adminToken, {
    name: "shared",
    url: backend.url,
    open_to_all: true,
  });
  const alice = await tokenFor(gateway, "alice", "shared");
  return { stage, g: gateway, backend, setup, server, alice };
}

export const admin = (token: string) => ({ authorization: `Bearer ${token}` });

/** A raw Streamable HTTP session on `/mcp/{server}`; returns the session id and a tools/call sender. */
export async function rawSession(g: ListeningGateway, token: string, server = "shared") {
  const url = `${g.url}/mcp/${server}`;
  const init = await postMessage(url, INITIALIZE, { authorization: `Bearer ${token}` });
  expect(init.status).toBe(200);
  await init.text();
  const sessionId = init.headers.get("mcp-session-id") as string;
  const headers = {
    authorization: `Bearer ${token}`,
    "mcp-session-id": sessionId,
    "mcp-protocol-version": "2025-06-18",
  };
  await (await postMessage(url, { jsonrpc: "2.0", method: "notifications/initialized" }, headers)).text();
  const callTool = async (id: number, name = "echo") => {
    const message = {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: { text: `t${id}` } },
    };
    const response = await postMessage(url, message, headers);
    return { status: response.status, text: await response.text(), sent: JSON.stringify(message) };
  };
  return { url, sessionId, headers, callTool };
}

/** GET /admin/api/mcp-activity with a query. */
export async function listActivity(g: ListeningGateway, adminToken: string, query = "") {
  const response = await g.request(`/admin/api/mcp-activity${query}`, { headers: admin(adminToken) });
  return {
    status: response.status,
    body: (await response.json()) as { activity: ActivityRow[]; total: number },
  };
}

/** The payload of a JWT (no verification: the gateway issued it). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as Record<
    string,
    unknown
  >;
}

/** Polls `check` until it returns a value (a bound, not a timing assertion). */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(10);
  }
  throw new Error(`never: ${what}`);
}
