import { afterAll, beforeAll, expect, test } from "bun:test";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { rawRequest, type ServedGateway, servedGateway, within } from "./raw-client.ts";

const SEVERE = new Set(["error", "fatal"]);
const MAX = 2048;

let backend: McpBackend;
let gateway: ServedGateway;
beforeAll(async () => {
  backend = await startMcpBackend();
  gateway = await servedGateway({ MAX_BODY_BYTES: String(MAX) });
  const created = await gateway.app.decorator.gateway.registry.create({
    name: "open",
    url: backend.url,
    openToAll: true,
    authRequired: false,
  });
  if (!created.ok) throw new Error(created.message);
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});

const lines = () => gateway.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

/** The log lines written for `path` after `from`, once the request line has been written. */
async function linesFor(path: string, from: number) {
  for (let i = 0; i < 100; i++) {
    const mine = lines()
      .slice(from)
      .filter((l) => l.path === path);
    if (mine.some((l) => l.msg === "request")) return lines().slice(from);
    await Bun.sleep(20);
  }
  return lines().slice(from);
}

function chunked(path: string, size: number): Promise<string> {
  const chunk = "x".repeat(size);
  const request = rawRequest(
    gateway.port,
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked`,
    `${size.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
  );
  return within(request.closed, 8000, "(still open)").finally(() => request.destroy());
}

test.each(["/auth/login", "/mcp/open"])(
  "an oversized chunked body to %s: the client gets 413, the log says 413, nothing at error level",
  async (path) => {
    const from = gateway.logs.length;
    const reply = await chunked(path, MAX * 4);
    expect(reply).toStartWith("HTTP/1.1 413");
    const written = await linesFor(path, from);
    expect(written.filter((l) => SEVERE.has(String(l.level)))).toEqual([]);
    expect(written.filter((l) => l.msg === "request" && l.path === path).map((l) => l.status)).toEqual([413]);
    expect(gateway.logs.slice(from).join("\n")).not.toContain("stack");
  },
);

test.each(["/auth/login", "/mcp/open"])(
  "a client that closes the connection in the middle of its body to %s: logged as 499, nothing at error level",
  async (path) => {
    const from = gateway.logs.length;
    const request = rawRequest(
      gateway.port,
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 500`,
      '{"jsonrpc":',
    );
    await Bun.sleep(100);
    request.destroy();
    const written = await linesFor(path, from);
    expect(written.filter((l) => SEVERE.has(String(l.level)))).toEqual([]);
    expect(written.filter((l) => l.msg === "request" && l.path === path).map((l) => l.status)).toEqual([499]);
  },
);
