// GET /admin/api/mcp-activity (filters, time range, pagination, bad filters) and its SSE stream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayWithUsers } from "../gateway/helpers.ts";
import { login, testGateway } from "../support/context.ts";
import { type ActivityRow, activityStage, admin, listActivity, rawSession } from "./helpers.ts";

let s: Awaited<ReturnType<typeof activityStage>>;
let stage: GatewayWithUsers;
let firstAt = 0;
beforeAll(async () => {
  s = await activityStage();
  stage = s.stage;
  firstAt = s.g.clock.now();
  const session = await rawSession(s.g, s.alice); // initialize + initialized at firstAt
  s.g.clock.advance(60_000);
  for (const id of [1, 2, 3]) expect((await session.callTool(id)).status).toBe(200);
});
afterAll(() => stage?.close());

describe("GET /admin/api/mcp-activity", () => {
  test("filters by user, server, method, outcome and time range; pages newest first", async () => {
    const all = await listActivity(s.g, s.setup.adminToken);
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(5);
    const calls = await listActivity(s.g, s.setup.adminToken, "?method=tools/call&limit=2");
    expect(calls.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    const page1 = calls.body.activity;
    const page2 = (await listActivity(s.g, s.setup.adminToken, "?method=tools/call&limit=2&offset=2")).body
      .activity;
    const ids = [...page1, ...page2].map((row) => row.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first, no row twice
    expect(new Set(ids).size).toBe(3);

    const iso = new Date(firstAt + 60_000).toISOString();
    const later = await listActivity(s.g, s.setup.adminToken, `?from=${encodeURIComponent(iso)}`);
    expect(later.body.activity.map((row) => row.method)).toEqual(["tools/call", "tools/call", "tools/call"]);
    const earlier = await listActivity(s.g, s.setup.adminToken, `?to=${firstAt + 60_000}`);
    expect(earlier.body.activity.map((row) => row.method)).toEqual([
      "notifications/initialized",
      "initialize",
    ]);

    const mine = await listActivity(
      s.g,
      s.setup.adminToken,
      `?user=${s.setup.user.id}&server=shared&outcome=ok`,
    );
    expect(mine.body.total).toBe(5);
    for (const query of [`?user=${s.setup.other.id}`, "?server=other", "?outcome=denied"]) {
      expect((await listActivity(s.g, s.setup.adminToken, query)).body.total).toBe(0);
    }
  });

  test("bad filters are 400 with the field named; non-admins are refused", async () => {
    for (const [query, field] of [
      ["?outcome=maybe", "outcome"],
      ["?from=yesterday", "from"],
      ["?to=2026-13-99", "to"],
      ["?limit=0", "limit"],
      ["?limit=201", "limit"],
      ["?offset=-1", "offset"],
      ["?colour=red", "body"],
      ["?server=", "server"],
      ["?user=a&user=b", "user"],
    ] as const) {
      const response = await s.g.request(`/admin/api/mcp-activity${query}`, {
        headers: admin(s.setup.adminToken),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("invalid_request");
      expect(body.error_description).toContain(field === "body" ? "colour" : field);
    }
    const stream = await s.g.request("/admin/api/mcp-activity/stream?outcome=maybe", {
      headers: admin(s.setup.adminToken),
    });
    expect(stream.status).toBe(400);
    const user = (await login(s.g, "alice")).access_token;
    for (const path of ["/admin/api/mcp-activity", "/admin/api/mcp-activity/stream"]) {
      expect((await s.g.request(path, { headers: admin(user) })).status).toBe(403);
      expect((await s.g.request(path)).status).toBe(401);
    }
  });
});

/** Reads SSE events of a fetch body until `count` `activity` events arrived. */
async function readEvents(body: ReadableStream<Uint8Array>, count: number): Promise<ActivityRow[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events: ActivityRow[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf("\n\n");
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (/^event: activity$/m.test(block) && data !== undefined)
        events.push(JSON.parse(data) as ActivityRow);
      end = text.indexOf("\n\n");
    }
  }
  reader.releaseLock();
  return events;
}

describe("GET /admin/api/mcp-activity/stream", () => {
  test("each new row that passes the filters is an event; the stream ends when the client leaves", async () => {
    const abort = new AbortController();
    const response = await fetch(`${s.g.url}/admin/api/mcp-activity/stream?method=tools/call&outcome=ok`, {
      headers: admin(s.setup.adminToken),
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const opened = async () =>
      (await (await s.g.request("/metrics")).text()).includes("authmcp_activity_streams_open 1");
    expect(await opened()).toBe(true);

    const session = await rawSession(s.g, s.alice); // initialize rows: filtered out
    expect((await session.callTool(41)).status).toBe(200);
    const events = await readEvents(response.body as ReadableStream<Uint8Array>, 1);
    expect(events[0]).toMatchObject({
      method: "tools/call",
      target: "echo",
      outcome: "ok",
      server: "shared",
      user_id: s.setup.user.id,
      session_id: session.sessionId,
    });
    abort.abort();
    for (let i = 0; i < 200; i++) {
      if ((await (await s.g.request("/metrics")).text()).includes("authmcp_activity_streams_open 0")) return;
      await Bun.sleep(10);
    }
    throw new Error("the stream stayed open after its client left");
  });
});

describe("ACTIVITY_STREAM_BACKLOG", () => {
  test("a reader that does not read gets at most the backlog; later events are skipped, not queued", async () => {
    const g = await testGateway({ ACTIVITY_STREAM_BACKLOG: "3" });
    try {
      const streams = g.app.decorator.activity.streams;
      const abort = new AbortController();
      const response = streams.respond(
        new Request("http://localhost/", { signal: abort.signal }),
        {},
        (row) => ({
          method: row.method,
        }),
      );
      for (let i = 0; i < 10; i++) {
        g.ctx.activity.record({
          at: g.clock.now(),
          userId: null,
          clientId: null,
          server: "s",
          endpoint: "server",
          sessionId: null,
          method: `m${i}`,
          target: null,
          outcome: "ok",
          httpStatus: 200,
          rpcErrorCode: null,
          latencyMs: 1,
          requestBytes: 0,
          responseBytes: null,
          ip: null,
        });
      }
      streams.closeAll();
      const text = await response.text();
      // The opening comment and two events fill the backlog of 3; the other eight were skipped.
      expect([...text.matchAll(/"method":"(m\d)"/g)].map((m) => m[1])).toEqual(["m0", "m1"]);
    } finally {
      await g.close();
    }
  });
});
