import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
  sdkClient,
  tokenFor,
} from "../gateway/helpers.ts";
import { createUser, jsonInit, login } from "../support/context.ts";
import type { McpBackend } from "../support/mcp-backend.ts";
import type { ListeningGateway } from "../support/server.ts";

let stage: GatewayWithUsers;
let gateway: ListeningGateway;
let backend: McpBackend;
let setup: GatewayWithUsers["setup"];

beforeEach(async () => {
  stage = await gatewayWithUsers();
  ({ gateway, backend, setup } = stage);
});
afterEach(() => stage.close());

const admin = () => ({ authorization: `Bearer ${setup.adminToken}` });

async function grant(serverId: string, body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await gateway.request(
    `/admin/api/mcp-servers/${serverId}/grants`,
    jsonInit(body, { headers: admin() }),
  );
  if (response.status !== 201) throw new Error(`grant: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

async function revoke(serverId: string, grantId: string) {
  const response = await gateway.request(`/admin/api/mcp-servers/${serverId}/grants/${grantId}`, {
    method: "DELETE",
    headers: admin(),
  });
  expect(response.status).toBe(204);
}

const toolCalls = () =>
  backend.received
    .map((r) => r.body as { method?: string; params?: { name?: string } } | undefined)
    .filter((b) => b?.method === "tools/call")
    .map((b) => b?.params?.name);

/** A raw tools/call; returns status and parsed body (JSON or the data of its SSE event). */
async function rawCall(url: string, token: string, sessionId: string, name: string, id = 7) {
  const response = await postMessage(
    url,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { text: "x" } } },
    { authorization: `Bearer ${token}`, "mcp-session-id": sessionId },
  );
  const text = await response.text();
  const json = text.startsWith("{") ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? "null");
  return { status: response.status, body: JSON.parse(json) as { id: unknown; error?: { code: number } } };
}

async function openSession(url: string, token: string): Promise<string> {
  const response = await postMessage(url, INITIALIZE, { authorization: `Bearer ${token}` });
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get("mcp-session-id") as string;
}

describe("grants with tool rules on /mcp/{server}", () => {
  test("a user with an allow-list sees and calls only those tools; a denied call is a JSON-RPC error the backend never sees", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
    await grant(server.id, { user_id: setup.user.id, allowed_tools: ["echo", "no-such-tool"] });
    const token = await tokenFor(gateway, "alice", "tools");
    const url = `${gateway.url}/mcp/tools`;

    const { client, transport } = await sdkClient(url, token);
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(["echo"]);
    const echo = await client.callTool({ name: "echo", arguments: { text: "allowed" } });
    expect(echo.content).toEqual([{ type: "text", text: "allowed" }]);
    const denied = await client
      .callTool({ name: "progress", arguments: { steps: 1 } })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(McpError);
    expect((denied as McpError).code).toBe(-32602);

    const sessionId = transport.sessionId as string;
    const raw = await rawCall(url, token, sessionId, "wait", 41);
    expect(raw.status).toBe(200);
    expect(raw.body.id).toBe(41);
    expect(raw.body.error?.code).toBe(-32602);
    expect(toolCalls()).toEqual(["echo"]);
    const denials = gateway.logs.filter((line) => line.includes('"tool_request_denied"'));
    expect(denials.length).toBe(2);
    expect(denials[0]).toContain(setup.user.id);
    await client.close();

    // The admin is not bound by alice's grant.
    const adminToken = await tokenFor(gateway, "root", "tools");
    const { client: adminClient } = await sdkClient(url, adminToken);
    expect((await adminClient.listTools()).tools.map((t) => t.name)).toContain("progress");
    await adminClient.close();
  });

  test("a group grant works, a denied tool wins over allowed ones, and a membership change applies at the next request", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
    const created = await gateway.request(
      "/admin/api/groups",
      jsonInit({ name: "Engineering" }, { headers: admin() }),
    );
    const group = (await created.json()) as { id: string };
    const added = await gateway.request(`/admin/api/groups/${group.id}/members/${setup.user.id}`, {
      method: "PUT",
      headers: admin(),
    });
    expect(added.status).toBe(200);
    await grant(server.id, { group_id: group.id, denied_tools: ["wait"] });
    await grant(server.id, { user_id: setup.user.id, allowed_tools: ["wait", "echo"] });
    const token = await tokenFor(gateway, "alice", "tools");
    const url = `${gateway.url}/mcp/tools`;

    const { client, transport } = await sdkClient(url, token);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("echo");
    expect(names).toContain("progress");
    expect(names).not.toContain("wait");
    const sessionId = transport.sessionId as string;
    expect((await rawCall(url, token, sessionId, "wait")).body.error?.code).toBe(-32602);
    expect((await rawCall(url, token, sessionId, "progress")).body.error).toBeUndefined();

    // Mallory, not in the group, has no access at all.
    const malloryToken = await tokenFor(gateway, "mallory", "tools");
    const refused = await postMessage(url, INITIALIZE, { authorization: `Bearer ${malloryToken}` });
    expect(refused.status).toBe(404);

    const removed = await gateway.request(`/admin/api/groups/${group.id}/members/${setup.user.id}`, {
      method: "DELETE",
      headers: admin(),
    });
    expect(removed.status).toBe(204);
    // Only her own grant is left: echo and wait, nothing denied.
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["echo", "wait"]);
    expect((await rawCall(url, token, sessionId, "progress")).body.error?.code).toBe(-32602);
    await client.close();
  });

  test("revoking a grant takes effect on the very next request", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
    const limited = await grant(server.id, { user_id: setup.user.id, allowed_tools: ["echo"] });
    const token = await tokenFor(gateway, "alice", "tools");
    const url = `${gateway.url}/mcp/tools`;
    const sessionId = await openSession(url, token);
    expect((await rawCall(url, token, sessionId, "echo")).body.error).toBeUndefined();

    await revoke(server.id, limited.id);
    const after = await postMessage(
      url,
      { jsonrpc: "2.0", id: 9, method: "tools/list" },
      {
        authorization: `Bearer ${token}`,
        "mcp-session-id": sessionId,
      },
    );
    expect(after.status).toBe(404);

    // A group grant of every tool instead: the full list again, at once.
    const group = (await (
      await gateway.request("/admin/api/groups", jsonInit({ name: "all" }, { headers: admin() }))
    ).json()) as { id: string };
    await gateway.request(`/admin/api/groups/${group.id}/members/${setup.user.id}`, {
      method: "PUT",
      headers: admin(),
    });
    const groupGrant = await grant(server.id, { group_id: group.id });
    expect((await rawCall(url, token, sessionId, "progress")).body.error).toBeUndefined();
    // Deleting the group deletes its grant.
    expect(
      (await gateway.request(`/admin/api/groups/${group.id}`, { method: "DELETE", headers: admin() })).status,
    ).toBe(204);
    expect((await rawCall(url, token, sessionId, "echo")).status).toBe(404);
    const grants = (await (
      await gateway.request(`/admin/api/mcp-servers/${server.id}/grants`, { headers: admin() })
    ).json()) as { grants: { id: string }[] };
    expect(grants.grants.map((g) => g.id)).not.toContain(groupGrant.id);
  });

  test("the per-user routes still work and are grants of every tool", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
    const put = await gateway.request(`/admin/api/mcp-servers/${server.id}/users/${setup.user.id}`, {
      method: "PUT",
      headers: admin(),
    });
    expect(put.status).toBe(200);
    const listed = (await (
      await gateway.request(`/admin/api/mcp-servers/${server.id}/grants`, { headers: admin() })
    ).json()) as { grants: Record<string, unknown>[] };
    expect(listed.grants).toEqual([
      expect.objectContaining({
        server_id: server.id,
        principal_type: "user",
        principal_id: setup.user.id,
        allowed_tools: null,
        denied_tools: [],
      }),
    ]);
    const view = (await (
      await gateway.request(`/admin/api/mcp-servers/${server.id}`, { headers: admin() })
    ).json()) as { users: string[] };
    expect(view.users).toEqual([setup.user.id]);
  });
});

describe("servers without tool rules for the user", () => {
  let raw: ReturnType<typeof Bun.serve>;
  /** Odd spacing and key order: any re-serialisation by the gateway would change these bytes. */
  const LIST_BYTES =
    '{"result": {"tools":[ {"name":"alpha","inputSchema":{"type":"object"}},{"name":"beta","inputSchema":{"type":"object"}} ]} ,"id":3,  "jsonrpc":"2.0"}';
  const seen: string[] = [];

  beforeEach(() => {
    seen.length = 0;
    raw = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const body = (await request.json()) as { id: number; method: string; params?: { name?: string } };
        seen.push(body.method === "tools/call" ? `call:${body.params?.name}` : body.method);
        if (body.method === "tools/list")
          return new Response(LIST_BYTES, { headers: { "content-type": "application/json" } });
        return Response.json({ jsonrpc: "2.0", id: body.id, result: { content: [] } });
      },
    });
  });
  afterEach(() => {
    raw.stop(true);
  });

  const list = (url: string, token: string) =>
    postMessage(url, { jsonrpc: "2.0", id: 3, method: "tools/list" }, { authorization: `Bearer ${token}` });

  test("are passed through byte for byte, even while another user has tool rules there", async () => {
    const server = await createServer(gateway, setup.adminToken, {
      name: "plain",
      url: `http://127.0.0.1:${raw.port}/mcp`,
    });
    await grant(server.id, { user_id: setup.user.id });
    await grant(server.id, { user_id: setup.other.id, allowed_tools: ["beta"] });
    const url = `${gateway.url}/mcp/plain`;

    const plain = await list(url, await tokenFor(gateway, "alice", "plain"));
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe(LIST_BYTES);

    // Mallory's rules do filter her JSON answer.
    const malloryToken = await tokenFor(gateway, "mallory", "plain");
    const filtered = (await (await list(url, malloryToken)).json()) as {
      id: number;
      result: { tools: { name: string }[] };
    };
    expect(filtered.id).toBe(3);
    expect(filtered.result.tools.map((t) => t.name)).toEqual(["beta"]);
    const denied = await postMessage(
      url,
      { jsonrpc: "2.0", id: "call-1", method: "tools/call", params: { name: "alpha" } },
      { authorization: `Bearer ${malloryToken}` },
    );
    expect(denied.status).toBe(200);
    expect(await denied.json()).toEqual({
      jsonrpc: "2.0",
      id: "call-1",
      error: { code: -32602, message: "This tool is not available to you" },
    });
    expect(seen).toEqual(["tools/list", "tools/list"]);

    // open_to_all: every user, every tool, untouched.
    await gateway.request(`/admin/api/mcp-servers/${server.id}`, {
      method: "PATCH",
      headers: { ...admin(), "content-type": "application/json" },
      body: JSON.stringify({ open_to_all: true }),
    });
    await createUser(gateway, "zoe");
    const zoe = (await login(gateway, "zoe", { resource: url })).access_token;
    expect(await (await list(url, zoe)).text()).toBe(LIST_BYTES);
  });

  test("a tools/list answer over MCP_TOOLS_LIST_MAX_BYTES is refused (502), never shown unfiltered", async () => {
    await stage.close();
    stage = await gatewayWithUsers({ MCP_TOOLS_LIST_MAX_BYTES: "1024" });
    ({ gateway, backend, setup } = stage);
    const server = await createServer(gateway, setup.adminToken, {
      name: "plain",
      url: `http://127.0.0.1:${raw.port}/mcp`,
    });
    await grant(server.id, { user_id: setup.user.id, allowed_tools: ["beta"] });
    const token = await tokenFor(gateway, "alice", "plain");
    const url = `${gateway.url}/mcp/plain`;
    expect(
      ((await (await list(url, token)).json()) as { result: { tools: unknown[] } }).result.tools,
    ).toHaveLength(1);
    raw.reload({
      fetch: () =>
        new Response(
          JSON.stringify({
            jsonrpc: "2.0",
            id: 3,
            result: { tools: Array.from({ length: 50 }, (_, i) => ({ name: `tool-${i}`, inputSchema: {} })) },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    });
    const big = await list(url, token);
    expect(big.status).toBe(502);
    const body = (await big.json()) as { id: number; error: { message: string } };
    expect(body.id).toBe(3);
    expect(body.error.message).toContain("1024");
  });
});

describe("admin API: grants input", () => {
  test("malformed, oversized and hostile input → 400; unknown server, user or group → 404; a second grant → 409; nothing changed", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
    const base = `/admin/api/mcp-servers/${server.id}/grants`;
    const cases: [unknown, string][] = [
      [{}, "body"],
      [{ user_id: setup.user.id, group_id: "grp_x" }, "body"],
      [{ user_id: 42 }, "user_id"],
      [{ user_id: "x".repeat(101) }, "user_id"],
      [{ user_id: setup.user.id, allowed_tools: "echo" }, "allowed_tools"],
      [{ user_id: setup.user.id, allowed_tools: [""] }, "allowed_tools.0"],
      [{ user_id: setup.user.id, allowed_tools: ["a".repeat(129)] }, "allowed_tools.0"],
      [{ user_id: setup.user.id, allowed_tools: ["bad\u0000name"] }, "allowed_tools.0"],
      [
        { user_id: setup.user.id, denied_tools: Array.from({ length: 501 }, (_, i) => `t${i}`) },
        "denied_tools",
      ],
      [{ user_id: setup.user.id, admin: true }, "body"],
      [[{ user_id: setup.user.id }], "body"],
    ];
    for (const [body, field] of cases) {
      const response = await gateway.request(base, jsonInit(body, { headers: admin() }));
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = (await response.json()) as { error: string; error_description: string };
      expect(error.error).toBe("invalid_request");
      if (field !== "body") expect(error.error_description.startsWith(field)).toBe(true);
    }
    const notJson = await gateway.request(base, {
      method: "POST",
      headers: { ...admin(), "content-type": "application/json" },
      body: "[[[",
    });
    expect(notJson.status).toBe(400);
    expect((await gateway.request(base, jsonInit({ user_id: "nobody" }, { headers: admin() }))).status).toBe(
      404,
    );
    expect((await gateway.request(base, jsonInit({ group_id: "nobody" }, { headers: admin() }))).status).toBe(
      404,
    );
    expect(
      (
        await gateway.request(
          "/admin/api/mcp-servers/srv_none/grants",
          jsonInit({ user_id: setup.user.id }, { headers: admin() }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await gateway.request("/admin/api/mcp-servers/srv_none/grants", { headers: admin() })).status,
    ).toBe(404);
    expect(gateway.app.decorator.gateway.policy.grantsOf(server.id)).toEqual([]);

    const first = await grant(server.id, { user_id: setup.user.id, allowed_tools: ["echo", "echo"] });
    const dup = await gateway.request(base, jsonInit({ user_id: setup.user.id }, { headers: admin() }));
    expect(dup.status).toBe(409);
    const grants = gateway.app.decorator.gateway.policy.grantsOf(server.id);
    expect(grants.map((g) => [g.id, g.allowedTools])).toEqual([[first.id, ["echo"]]]);
    expect(
      (await gateway.request(`${base}/grant_unknown`, { method: "DELETE", headers: admin() })).status,
    ).toBe(404);

    // Non-admins get 403.
    const aliceToken = (await login(gateway, "alice")).access_token;
    const asAlice = await gateway.request(
      base,
      jsonInit({ user_id: setup.user.id }, { headers: { authorization: `Bearer ${aliceToken}` } }),
    );
    expect(asAlice.status).toBe(403);

    // Deleting the server deletes its grants.
    await gateway.request(`/admin/api/mcp-servers/${server.id}`, { method: "DELETE", headers: admin() });
    expect(gateway.app.decorator.gateway.policy.grantsOf(server.id)).toEqual([]);
  });
});
