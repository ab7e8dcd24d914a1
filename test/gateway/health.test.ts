import { afterEach, beforeEach, expect, test } from "bun:test";
import { type TestGateway, testGateway } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { adminAndUser, createServer } from "./helpers.ts";

let gateway: TestGateway;
let backend: McpBackend;

beforeEach(async () => {
  backend = await startMcpBackend();
  gateway = await testGateway();
});
afterEach(async () => {
  await gateway.close();
  await backend.close();
});

test("health check: online backend, offline backend with its error; /readyz stays ready and summarises", async () => {
  const { adminToken } = await adminAndUser(gateway);
  const up = await createServer(gateway, adminToken, {
    name: "up",
    url: backend.url,
    credential: { type: "bearer", token: "hc-token" },
  });
  const down = await createServer(gateway, adminToken, { name: "down", url: "http://127.0.0.1:9/mcp" });
  await gateway.app.decorator.gateway.health.checkAll();

  const list = (await (
    await gateway.request("/admin/api/mcp-servers", { headers: { authorization: `Bearer ${adminToken}` } })
  ).json()) as {
    servers: {
      id: string;
      health: { status: string; lastError?: string; checkedAt?: number; latencyMs?: number };
    }[];
  };
  const byId = new Map(list.servers.map((s) => [s.id, s.health]));
  expect(byId.get(up.id)?.status).toBe("online");
  expect(byId.get(up.id)?.checkedAt).toBe(gateway.clock.now());
  expect(byId.get(up.id)?.latencyMs).toBeNumber();
  expect(byId.get(down.id)?.status).toBe("offline");
  expect(byId.get(down.id)?.lastError).toBeString();
  // The check used the backend credential and cleaned up its session.
  expect(backend.received.map((r) => r.method)).toEqual(["POST", "POST", "POST", "DELETE"]);
  expect(backend.received.every((r) => r.headers.authorization === "Bearer hc-token")).toBe(true);

  const ready = await gateway.request("/readyz");
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as { status: string; backends: Record<string, number> };
  expect(body.status).toBe("ready");
  expect(body.backends).toEqual({ online: 1, degraded: 0, offline: 1, unknown: 0 });
});

test("startHealthChecks runs checks and is stopped on close", async () => {
  const { adminToken } = await adminAndUser(gateway);
  await createServer(gateway, adminToken, { name: "up", url: backend.url });
  gateway.app.decorator.gateway.startHealthChecks();
  while (!backend.received.some((r) => r.method === "DELETE")) await Bun.sleep(5);
  expect(backend.received.length).toBeGreaterThanOrEqual(4);
});
