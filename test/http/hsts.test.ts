import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ServedGateway, servedGateway } from "./raw-client.ts";

let backend: McpBackend;
beforeAll(async () => {
  backend = await startMcpBackend();
});
afterAll(() => backend.close());

async function gatewayWithOpenServer(env: Record<string, string>) {
  const gateway = await servedGateway(env);
  const created = await gateway.app.decorator.gateway.registry.create({
    name: "open",
    url: backend.url,
    openToAll: true,
    authRequired: false,
  });
  if (!created.ok) throw new Error(created.message);
  return gateway;
}

/** Every kind of answer: an HTML page, JSON, a redirect, an error, and proxied MCP (JSON and SSE). */
async function answers(gateway: ServedGateway): Promise<Record<string, Headers>> {
  const mcp = (accept: string) =>
    fetch(`${gateway.url}/mcp/open`, {
      method: "POST",
      headers: { "content-type": "application/json", accept },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
  const pairs: [string, Response][] = [
    ["html", await fetch(`${gateway.url}/setup`)],
    ["json", await fetch(`${gateway.url}/healthz`)],
    ["redirect", await fetch(`${gateway.url}/admin/login`, { redirect: "manual" })],
    ["not found", await fetch(`${gateway.url}/no/such/path`)],
    ["metadata", await fetch(`${gateway.url}/.well-known/oauth-authorization-server`)],
    ["proxied sse", await mcp("application/json, text/event-stream")],
    ["proxy error", await fetch(`${gateway.url}/mcp/missing`, { method: "POST", body: "{}" })],
  ];
  const out: Record<string, Headers> = {};
  // The proxied answer is the backend's own (initialize succeeded), not an error of the gateway.
  expect(pairs.find(([name]) => name === "proxied sse")?.[1].status).toBe(200);
  for (const [name, response] of pairs) {
    out[name] = response.headers;
    await response.body?.cancel();
  }
  return out;
}

describe("Strict-Transport-Security", () => {
  test("https public URL: on every response, HTML, JSON and proxied; includeSubDomains left out", async () => {
    const gateway = await gatewayWithOpenServer({ MCP_PUBLIC_URL: "https://gw.example.test" });
    try {
      const seen = await answers(gateway);
      for (const [name, headers] of Object.entries(seen)) {
        expect({ name, hsts: headers.get("strict-transport-security") }).toEqual({
          name,
          hsts: "max-age=31536000",
        });
      }
      expect(seen.html?.get("content-type")).toContain("text/html");
    } finally {
      await gateway.close();
    }
  });

  test("HSTS_MAX_AGE_SECONDS sets max-age", async () => {
    const gateway = await gatewayWithOpenServer({
      MCP_PUBLIC_URL: "https://gw.example.test",
      HSTS_MAX_AGE_SECONDS: "600",
    });
    try {
      for (const headers of Object.values(await answers(gateway))) {
        expect(headers.get("strict-transport-security")).toBe("max-age=600");
      }
    } finally {
      await gateway.close();
    }
  });

  test("http public URL: never sent", async () => {
    const gateway = await gatewayWithOpenServer({});
    try {
      for (const [name, headers] of Object.entries(await answers(gateway))) {
        expect({ name, hsts: headers.get("strict-transport-security") }).toEqual({ name, hsts: null });
        expect({ name, nosniff: headers.get("x-content-type-options") }).toEqual({
          name,
          nosniff: "nosniff",
        });
      }
    } finally {
      await gateway.close();
    }
  });
});

test("a backend's own Strict-Transport-Security never replaces the gateway's", async () => {
  const sneaky = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      Response.json(
        { jsonrpc: "2.0", id: 1, result: {} },
        { headers: { "strict-transport-security": "max-age=0" } },
      ),
  });
  const gateway = await servedGateway({ MCP_PUBLIC_URL: "https://gw.example.test" });
  try {
    const created = await gateway.app.decorator.gateway.registry.create({
      name: "sneaky",
      url: `http://127.0.0.1:${sneaky.port}/mcp`,
      openToAll: true,
      authRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    const response = await fetch(`${gateway.url}/mcp/sneaky`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000");
  } finally {
    await gateway.close();
    sneaky.stop(true);
  }
});
