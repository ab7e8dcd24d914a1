// The JSON API of what the admin pages do with a server's backend: test connection, the
// discovered catalog, and a tool called as the calling admin through /mcp/{server}.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { McpActivity } from "../../src/audit/activity/types.ts";
import { type ApiTestBackend, HOSTILE, startApiTestBackend } from "../admin-pages/api-test-fixtures.ts";
import { createUser, jsonInit, login, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway;
let backend: ApiTestBackend;
let adminToken: string;
let userToken: string;
let serverId: string;
let adminId: string;
const rows: McpActivity[] = [];

beforeAll(async () => {
  gateway = await testGateway();
  adminId = (await createUser(gateway, "root", { isAdmin: true })).id;
  await createUser(gateway, "alice");
  backend = startApiTestBackend();
  const created = await gateway.app.decorator.gateway.registry.create({ name: "tools", url: backend.url });
  if (!created.ok) throw new Error(created.message);
  serverId = created.server.id;
  adminToken = (await login(gateway, "root")).access_token;
  userToken = (await login(gateway, "alice")).access_token;
  gateway.ctx.activity.subscribe((row) => rows.push(row));
});
afterAll(async () => {
  await backend?.stop();
  await gateway?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (path: string, token: string, body?: unknown) =>
  gateway.request(path, {
    method: "POST",
    headers: { ...bearer(token), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("POST /admin/api/mcp-servers/{id}/test", () => {
  test("initialize + tools/list through the gateway's code: the backend's tools, hostile names as data", async () => {
    const response = await post(`/admin/api/mcp-servers/${serverId}/test`, adminToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; tools: { name: string }[]; latency_ms: number };
    expect(body.ok).toBe(true);
    expect(body.tools.map((tool) => tool.name)).toContain("shape");
    expect(body.tools.map((tool) => tool.name)).toContain(HOSTILE.tool);
    expect(body.latency_ms).toBeGreaterThanOrEqual(0);
  });

  test("a dead backend is a result with its error, not a failure of the API", async () => {
    const dead = await gateway.app.decorator.gateway.registry.create({
      name: "dead",
      url: "http://127.0.0.1:9/mcp",
    });
    if (!dead.ok) throw new Error(dead.message);
    const response = await post(`/admin/api/mcp-servers/${dead.server.id}/test`, adminToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; error: string };
    expect(body.ok).toBe(false);
    expect(body.error.length).toBeGreaterThan(0);
  });
});

describe("GET /admin/api/mcp-servers/{id}/discovered", () => {
  test("tools and prompts from the gateway's catalog, under the backend's own names", async () => {
    const response = await gateway.request(`/admin/api/mcp-servers/${serverId}/discovered`, {
      headers: bearer(adminToken),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      tools: { name: string }[];
      prompts: unknown[];
      resources: unknown[];
    };
    expect(body.tools.map((tool) => tool.name)).toContain("shape");
    expect(Array.isArray(body.prompts)).toBe(true);
    expect(Array.isArray(body.resources)).toBe(true);
  });
});

describe("POST /admin/api/mcp-servers/{id}/call", () => {
  test("the backend receives exactly the arguments; the answer, the raw exchanges and the admin's activity row", async () => {
    const before = backend.calls.length;
    const args = { text: "hi <b>", count: 3, loud: true, mode: "fast", options: { depth: 2 } };
    const response = await post(`/admin/api/mcp-servers/${serverId}/call`, adminToken, {
      tool: "shape",
      arguments: args,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      exchanges: { request: { method: string }; answer?: { status: number; messages: unknown[] } }[];
      outcome: { kind: string; isError?: boolean };
    };
    expect(body.outcome).toEqual({ kind: "result", isError: false });
    expect(body.exchanges.map((exchange) => exchange.request.method)).toEqual([
      "initialize",
      "notifications/initialized",
      "tools/call",
    ]);
    expect(backend.calls.length).toBe(before + 1);
    expect(backend.calls.at(-1)?.arguments).toEqual(args);
    expect(backend.calls.at(-1)?.authorization).toBeNull();
    const row = rows.findLast((r) => r.method === "tools/call" && r.target === "shape");
    expect(row?.userId).toBe(adminId);
    // No bearer token in what the API answers.
    expect(JSON.stringify(body)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  test("a tool's error result and an unknown tool come back as the backend answered them", async () => {
    const failed = (await (
      await post(`/admin/api/mcp-servers/${serverId}/call`, adminToken, { tool: "fail" })
    ).json()) as { outcome: { kind: string; isError?: boolean } };
    expect(failed.outcome).toEqual({ kind: "result", isError: true });
    const unknown = (await (
      await post(`/admin/api/mcp-servers/${serverId}/call`, adminToken, { tool: "no-such-tool" })
    ).json()) as { outcome: { kind: string; isError?: boolean } };
    // The SDK backend answers an unknown tool with an error result, passed through untouched.
    expect(unknown.outcome).toEqual({ kind: "result", isError: true });
  });

  test("bad bodies: 400 naming the problem, nothing called", async () => {
    const before = backend.calls.length;
    for (const body of [
      {},
      { tool: "" },
      { tool: "shape", arguments: [1] },
      { tool: "shape", extra: 1 },
      { tool: "x".repeat(300) },
    ]) {
      const response = await post(`/admin/api/mcp-servers/${serverId}/call`, adminToken, body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_request");
    }
    const malformed = await gateway.request(`/admin/api/mcp-servers/${serverId}/call`, {
      method: "POST",
      headers: { ...bearer(adminToken), "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(backend.calls.length).toBe(before);
  });
});

describe("access", () => {
  test("unknown server 404; no token 401; a user who is not an admin 403, on all three", async () => {
    for (const [method, suffix] of [
      ["POST", "test"],
      ["GET", "discovered"],
      ["POST", "call"],
    ] as const) {
      const path = (id: string) => `/admin/api/mcp-servers/${id}/${suffix}`;
      const body = method === "POST" && suffix === "call" ? JSON.stringify({ tool: "shape" }) : undefined;
      const headers: Record<string, string> =
        body === undefined ? {} : { "content-type": "application/json" };
      const missing = await gateway.request(path("nope"), {
        method,
        headers: { ...headers, ...bearer(adminToken) },
        body,
      });
      expect(missing.status).toBe(404);
      const anonymous = await gateway.request(path(serverId), { method, headers, body });
      expect(anonymous.status).toBe(401);
      const user = await gateway.request(path(serverId), {
        method,
        headers: { ...headers, ...bearer(userToken) },
        body,
      });
      expect(user.status).toBe(403);
    }
    // The JSON helper's shape, not a 500, for the wrong content type.
    const wrongType = await gateway.request(`/admin/api/mcp-servers/${serverId}/call`, {
      ...jsonInit({ tool: "shape" }),
      headers: { ...bearer(adminToken), "content-type": "text/plain" },
    });
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    expect(wrongType.status).toBeLessThan(500);
  });
});
