import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sdkClient } from "../gateway/helpers.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { rawRequest, type ServedGateway, servedGateway, within } from "./raw-client.ts";

/** Generous bound on "eventually": far above the deadlines set here, far below the test timeout. */
const BOUND_MS = 8000;
const STILL_OPEN = "(still open)";

let backend: McpBackend;
beforeAll(async () => {
  backend = await startMcpBackend();
});
afterAll(() => backend.close());

async function withServers(gateway: ServedGateway) {
  for (const [name, authRequired] of [
    ["open", false],
    ["guarded", true],
  ] as const) {
    const created = await gateway.app.decorator.gateway.registry.create({
      name,
      url: backend.url,
      openToAll: true,
      authRequired,
    });
    if (!created.ok) throw new Error(created.message);
  }
  return gateway;
}

const post = (path: string, length: number, extra = "") =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${length}${extra}`;

describe("a body that arrives too slowly", () => {
  let gateway: ServedGateway;
  beforeAll(async () => {
    gateway = await withServers(await servedGateway({ HTTP_BODY_TIMEOUT_MS: "300" }));
  });
  afterAll(() => gateway.close());

  test("read by the app (a JSON endpoint): 408 and the connection closed, though a byte keeps coming", async () => {
    const slow = rawRequest(gateway.port, post("/auth/login", 1000), '{"username":', 50);
    const reply = await within(slow.closed, BOUND_MS, STILL_OPEN);
    slow.destroy();
    expect(reply).toStartWith("HTTP/1.1 408");
    expect(reply).toContain("HTTP_BODY_TIMEOUT_MS");
    expect(reply.toLowerCase()).toContain("x-content-type-options: nosniff");
  });

  test("read by the MCP proxy: 408 and the connection closed", async () => {
    const slow = rawRequest(gateway.port, post("/mcp/open", 1000), '{"jsonrpc":', 50);
    const reply = await within(slow.closed, BOUND_MS, STILL_OPEN);
    slow.destroy();
    expect(reply).toStartWith("HTTP/1.1 408");
  });

  test("answered before it was read (no token: 401): the connection is closed instead of draining the body", async () => {
    const slow = rawRequest(gateway.port, post("/mcp/guarded", 1000), '{"jsonrpc":', 50);
    const reply = await within(slow.closed, BOUND_MS, `${STILL_OPEN}`);
    slow.destroy();
    expect(reply).toStartWith("HTTP/1.1 401");
    expect(reply.toLowerCase()).toContain("connection: close");
  });

  test("a call to a backend that takes longer than the body deadline still gets its answer", async () => {
    const { client } = await sdkClient(`${gateway.url}/mcp/open`);
    const call = client.callTool({ name: "wait", arguments: {} });
    await Bun.sleep(900); // three deadlines: the body was read long ago, the wait is the backend's
    backend.release();
    const result = await call;
    expect(result.content).toEqual([{ type: "text", text: "released" }]);
    await client.close();
  });

  test("a complete body sent at once is not affected", async () => {
    const response = await fetch(`${gateway.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "nobody", password: "Wrong-Pass-1" }),
    });
    expect(response.status).toBe(401);
  });
});

describe("requests whose body is still arriving are capped", () => {
  test("per client IP: the next one from that IP gets 503 naming the limit; another IP is still served", async () => {
    const gateway = await servedGateway({
      TRUSTED_PROXIES: "127.0.0.1,::1",
      HTTP_INCOMPLETE_REQUESTS_PER_IP: "2",
      HTTP_INCOMPLETE_REQUESTS_MAX: "100",
    });
    const from = (ip: string) => post("/auth/login", 1000, `\r\nX-Forwarded-For: ${ip}`);
    const held = [
      rawRequest(gateway.port, from("203.0.113.1"), "{"),
      rawRequest(gateway.port, from("203.0.113.1"), "{"),
    ];
    try {
      await Bun.sleep(200); // let the server start reading both
      const refused = rawRequest(gateway.port, from("203.0.113.1"), "{");
      const reply = await within(refused.closed, BOUND_MS, STILL_OPEN);
      refused.destroy();
      expect(reply).toStartWith("HTTP/1.1 503");
      expect(reply).toContain("HTTP_INCOMPLETE_REQUESTS_PER_IP=2");

      const other = rawRequest(gateway.port, from("203.0.113.2"), "{");
      await Bun.sleep(200);
      expect(other.received()).toBe(""); // accepted: waiting for the rest of its body
      other.destroy();
    } finally {
      for (const r of held) r.destroy();
      await gateway.close();
    }
  });

  test("globally: the next one from any IP gets 503 naming the limit", async () => {
    const gateway = await servedGateway({
      HTTP_INCOMPLETE_REQUESTS_PER_IP: "100",
      HTTP_INCOMPLETE_REQUESTS_MAX: "3",
    });
    const held = [1, 2, 3].map(() => rawRequest(gateway.port, post("/auth/login", 1000), "{"));
    try {
      await Bun.sleep(200);
      const refused = rawRequest(gateway.port, post("/mcp/anything", 1000), "{");
      const reply = await within(refused.closed, BOUND_MS, STILL_OPEN);
      refused.destroy();
      expect(reply).toStartWith("HTTP/1.1 503");
      expect(reply).toContain("HTTP_INCOMPLETE_REQUESTS_MAX=3");
    } finally {
      for (const r of held) r.destroy();
    }
    // Once those clients are gone, requests are served again.
    await Bun.sleep(100);
    const response = await fetch(`${gateway.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    await gateway.close();
  });
});
