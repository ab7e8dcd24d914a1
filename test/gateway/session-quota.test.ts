import { afterEach, describe, expect, test } from "bun:test";
import { createUser } from "../support/context.ts";
import { type LegacySseBackend, startLegacySseBackend } from "../support/legacy-sse-backend.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { adminAndUser, createServer, INITIALIZE, postMessage, sdkClient, tokenFor } from "./helpers.ts";

let gateway: ListeningGateway | undefined;
let backend: McpBackend | LegacySseBackend | undefined;
afterEach(async () => {
  await gateway?.close();
  await backend?.close();
  gateway = undefined;
  backend = undefined;
});

const LIST_TOOLS = { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} };

/** Opens a session with a raw initialize; its Mcp-Session-Id, or the failed response. */
async function initialize(url: string, token: string): Promise<{ id: string } | { response: Response }> {
  const response = await postMessage(url, INITIALIZE, { authorization: `Bearer ${token}` });
  const id = response.headers.get("mcp-session-id");
  await response.body?.cancel();
  return response.status === 200 && id !== null ? { id } : { response };
}

async function opened(url: string, token: string): Promise<string> {
  const result = await initialize(url, token);
  if (!("id" in result)) throw new Error(`initialize failed: ${result.response.status}`);
  // The Streamable HTTP handshake ends with this notification; the SDK backend wants it.
  await (
    await postMessage(
      url,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { authorization: `Bearer ${token}`, "mcp-session-id": result.id, "mcp-protocol-version": "2025-06-18" },
    )
  ).body?.cancel();
  return result.id;
}

/** The status of a tools/list in session `id`. */
async function statusIn(url: string, token: string, id: string): Promise<number> {
  const response = await postMessage(url, LIST_TOOLS, {
    authorization: `Bearer ${token}`,
    "mcp-session-id": id,
    "mcp-protocol-version": "2025-06-18",
  });
  await response.body?.cancel();
  return response.status;
}

async function setUp(env: Record<string, string>, transport: "streamable-http" | "sse") {
  backend = transport === "sse" ? await startLegacySseBackend() : await startMcpBackend();
  gateway = await listeningGateway({ MCP_SSE_KEEPALIVE_MS: "60000", ...env });
  const setup = await adminAndUser(gateway);
  await createServer(gateway, setup.adminToken, {
    name: "shared",
    url: backend.url,
    transport,
    open_to_all: true,
  });
  for (const name of ["bob", "carol"]) await createUser(gateway, name);
  const url = `${gateway.url}/mcp/shared`;
  const tokens: Record<string, string> = {};
  for (const name of ["alice", "mallory", "bob", "carol"])
    tokens[name] = await tokenFor(gateway, name, "shared");
  return { url, tokens: tokens as Record<"alice" | "mallory" | "bob" | "carol", string> };
}

for (const transport of ["streamable-http", "sse"] as const) {
  const env: Record<string, string> =
    transport === "sse"
      ? { MCP_LEGACY_SSE_MAX_SESSIONS: "4", MCP_LEGACY_SSE_MAX_SESSIONS_PER_USER: "2" }
      : { MCP_SESSION_MAX: "10", MCP_SESSION_MAX_PER_USER: "3" };
  const perUser = transport === "sse" ? 2 : 3;
  const max = transport === "sse" ? 4 : 10;

  describe(`sessions of one user cannot push out another's (${transport} backend)`, () => {
    test("ten initialize calls by one user: the other user's session still works; the first user loses only their own oldest", async () => {
      const { url, tokens } = await setUp(env, transport);
      const { client } = await sdkClient(url, tokens.alice);
      const mallory: string[] = [];
      for (let i = 0; i < 10; i++) mallory.push(await opened(url, tokens.mallory));

      const echo = await client.callTool({ name: "echo", arguments: { text: "still here" } });
      expect(echo.content).toEqual([{ type: "text", text: "still here" }]);
      const statuses = [];
      for (const id of mallory) statuses.push(await statusIn(url, tokens.mallory, id));
      expect(statuses).toEqual([...Array(10 - perUser).fill(404), ...Array(perUser).fill(200)]);
      await client.close();
    });

    test("when other users' sessions fill the gateway, a new session is refused with 503 naming the limit", async () => {
      const { url, tokens } = await setUp(env, transport);
      const users = ["alice", "mallory", "bob", "carol"] as const;
      const held: [(typeof users)[number], string][] = [];
      for (const user of users) {
        for (let i = 0; i < perUser && held.length < max; i++)
          held.push([user, await opened(url, tokens[user])]);
      }
      expect(held).toHaveLength(max);
      // The first user with a free slot of their own: nobody's session may be closed for them.
      const refusedUser = users.find((user) => held.filter(([owner]) => owner === user).length < perUser);
      if (refusedUser === undefined) throw new Error("the test needs a user below the quota");
      const refused = await postMessage(url, INITIALIZE, { authorization: `Bearer ${tokens[refusedUser]}` });
      expect(refused.status).toBe(503);
      const body = (await refused.json()) as { error: { message: string } };
      expect(body.error.message).toContain(
        transport === "sse" ? "MCP_LEGACY_SSE_MAX_SESSIONS=4" : "MCP_SESSION_MAX=10",
      );
      for (const [owner, id] of held) {
        expect({ owner, status: await statusIn(url, tokens[owner], id) }).toEqual({
          owner,
          status: 200,
        });
      }
      // A user at their own quota may still open one: it replaces their own oldest.
      const [firstOwner, firstId] = held[0] as [(typeof users)[number], string];
      expect("id" in (await initialize(url, tokens[firstOwner]))).toBe(true);
      expect(await statusIn(url, tokens[firstOwner], firstId)).toBe(404);
    });
  });
}
