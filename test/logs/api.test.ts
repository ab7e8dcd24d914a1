// GET /admin/api/logs and /admin/api/logs/stream: the ring's recent lines with level and text
// filters, live lines as SSE, admins only, bad filters refused by name, secrets never shown.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUser, login, type TestGateway, testGateway } from "../support/context.ts";
import { accessLogged, eventsOf, openStream } from "./helpers.ts";

interface ApiLine {
  seq: number;
  time: string;
  level: string;
  msg: string;
  fields: Record<string, unknown>;
  truncated: boolean;
}

let gateway: TestGateway;
let admin: Record<string, string>;
let user: Record<string, string>;

beforeAll(async () => {
  gateway = await testGateway({ LOG_RING_LINES: "50", ADMIN_LOG_PAGE_LINES: "3" });
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  admin = { authorization: `Bearer ${(await login(gateway, "root")).access_token}` };
  user = { authorization: `Bearer ${(await login(gateway, "alice")).access_token}` };
  await accessLogged(gateway, "/auth/login", 2);
  const { logger } = gateway.ctx;
  logger.info({ path: "/mcp/notes", status: 200 }, "request");
  logger.warn({ server: "notes", err: "timeout" }, "backend slow");
  logger.error({ server: "wiki", err: "ECONNREFUSED" }, "backend unreachable");
  logger.info({ password: "Pa55word-Never-Shown", client_secret: "cs-never-shown" }, "credentials seen");
});
afterAll(() => gateway?.close());

async function lines(query: string): Promise<{ status: number; body: { lines: ApiLine[]; limit: number } }> {
  const response = await gateway.request(`/admin/api/logs${query}`, { headers: admin });
  return { status: response.status, body: (await response.json()) as { lines: ApiLine[]; limit: number } };
}

describe("GET /admin/api/logs", () => {
  test("the newest lines, newest first, with time, level, message and fields; ADMIN_LOG_PAGE_LINES by default", async () => {
    const { status, body } = await lines("");
    expect(status).toBe(200);
    expect(body.limit).toBe(3);
    expect(body.lines.map((l) => l.msg)).toEqual(["credentials seen", "backend unreachable", "backend slow"]);
    expect(body.lines[1]).toMatchObject({
      level: "error",
      fields: { server: "wiki", err: "ECONNREFUSED" },
      truncated: false,
    });
    expect(body.lines[1]?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(body.lines[0]?.seq).toBeGreaterThan(body.lines[1]?.seq ?? Number.POSITIVE_INFINITY);
  });

  test("level keeps lines at or above it; q matches message or fields; limit bounds the answer", async () => {
    expect((await lines("?level=warn&limit=50")).body.lines.map((l) => l.msg)).toEqual([
      "backend unreachable",
      "backend slow",
    ]);
    expect((await lines("?level=error&limit=50")).body.lines.map((l) => l.msg)).toEqual([
      "backend unreachable",
    ]);
    expect((await lines("?q=NOTES&limit=50")).body.lines.map((l) => l.msg)).toEqual([
      "backend slow",
      "request",
    ]);
    expect((await lines("?q=backend&level=error&limit=50")).body.lines.map((l) => l.msg)).toEqual([
      "backend unreachable",
    ]);
    expect((await lines("?limit=1")).body.lines).toHaveLength(1);
  });

  test("secrets logged by mistake are redacted in the answer", async () => {
    const { body } = await lines("?q=credentials");
    expect(body.lines[0]?.fields).toEqual({ password: "[redacted]", client_secret: "[redacted]" });
    const all = await gateway.request("/admin/api/logs?limit=50", { headers: admin });
    const text = await all.text();
    expect(text).not.toContain("Pa55word-Never-Shown");
    expect(text).not.toContain("cs-never-shown");
  });

  test("bad filters are a 400 naming the problem", async () => {
    const cases: [string, string][] = [
      ["?level=loud", "level: expected one of trace, debug, info, warn, error, fatal"],
      ["?limit=0", "limit: expected a whole number from 1 to 50"],
      ["?limit=51", "limit: expected a whole number from 1 to 50"],
      ["?limit=abc", "limit: expected a whole number from 1 to 50"],
      [`?q=${"x".repeat(201)}`, "q: at most 200 characters"],
      ["?q=a&q=b", "parameter q is repeated"],
      ["?nope=1", "unknown parameter nope"],
    ];
    for (const [query, message] of cases) {
      const response = await gateway.request(`/admin/api/logs${query}`, { headers: admin });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("invalid_request");
      expect(body.error_description).toContain(message);
    }
  });

  test("administrators only: 401 without a credential, 403 for a user who is not an admin", async () => {
    for (const path of ["/admin/api/logs", "/admin/api/logs/stream"]) {
      const anonymous = await gateway.request(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toStartWith("Bearer");
      const notAdmin = await gateway.request(path, { headers: user });
      expect(notAdmin.status).toBe(403);
      expect(await notAdmin.text()).not.toContain("backend");
    }
  });
});

describe("GET /admin/api/logs/stream", () => {
  test("each new line passing the filters as a `log` event; lines before it and others are not sent", async () => {
    const stream = await openStream(gateway, "/admin/api/logs/stream?level=warn&q=backend", admin);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get("content-type")).toBe("text/event-stream");
      await stream.until("the opening comment", (t) => t.includes(": application log"));
      gateway.ctx.logger.info({ server: "notes" }, "backend fine"); // below the level
      gateway.ctx.logger.warn({ server: "notes" }, "disk nearly full"); // no "backend"
      gateway.ctx.logger.warn({ server: "notes", password: "Str3am-Secret" }, "backend flapping");
      const text = await stream.until("the warning", (t) => t.includes("backend flapping"));
      const events = eventsOf(text, "log") as ApiLine[];
      expect(events.map((e) => e.msg)).toEqual(["backend flapping"]);
      expect(events[0]).toMatchObject({ level: "warn", fields: { server: "notes", password: "[redacted]" } });
      expect(text).not.toContain("Str3am-Secret");
      expect(text).toMatch(/^id: \d+$/m);
    } finally {
      stream.close();
    }
  });

  test("refuses a bad filter and the limit with a 400", async () => {
    for (const query of ["?level=loud", "?limit=5"]) {
      const response = await gateway.request(`/admin/api/logs/stream${query}`, { headers: admin });
      expect(response.status).toBe(400);
    }
  });

  test("open streams end when the gateway closes", async () => {
    const other = await testGateway();
    await createUser(other, "root", { isAdmin: true });
    const headers = { authorization: `Bearer ${(await login(other, "root")).access_token}` };
    const stream = await openStream(other, "/admin/api/logs/stream", headers);
    await stream.until("the opening comment", (t) => t.includes(": application log"));
    expect(other.ctx.logs.streams.count).toBe(1);
    await other.close();
    expect(other.ctx.logs.streams.count).toBe(0);
    // The body ends (done) rather than hanging.
    await stream.until("the end", () => true);
    stream.close();
  });
});
