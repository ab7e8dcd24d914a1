// MCP activity on /mcp/{server}: one row per request with its facts, written in batches through a
// bounded queue (full: dropped and counted, never waited for), listed by the admin API.

import { afterEach, describe, expect, test } from "bun:test";
import { ActivityStore } from "../../src/audit/activity/store.ts";
import type { Db } from "../../src/db/connection.ts";
import type { GatewayWithUsers } from "../gateway/helpers.ts";
import { createServer, postMessage, tokenFor } from "../gateway/helpers.ts";
import { activityStage, admin, claimsOf, listActivity, rawSession, until } from "./helpers.ts";

let stage: GatewayWithUsers | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

const storedRows = (s: { g: { ctx: { db: Db } } }) =>
  new ActivityStore(s.g.ctx.db.$client).page({}, 0, 0).total;

describe("activity rows of /mcp/{server}", () => {
  test("a burst of tools/call is written in batches, each row with the request's facts", async () => {
    const s = await activityStage({ ACTIVITY_BATCH_SIZE: "3", ACTIVITY_FLUSH_INTERVAL_MS: "3600000" });
    stage = s.stage;
    const session = await rawSession(s.g, s.alice);
    // initialize and notifications/initialized make two rows; the 3rd row fills the first batch.
    const sent: string[] = [];
    for (const id of [1, 2, 3, 4, 5]) {
      const answer = await session.callTool(id);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(`t${id}`);
      sent.push(answer.sent);
    }
    // 7 rows: two full batches of 3 are written without waiting for the (hour-long) interval; one waits.
    await until("two batches written", () => (storedRows(s) === 6 ? true : undefined));
    expect(storedRows(s)).toBe(6);

    // The list writes what waits first: all 7.
    const { status, body } = await listActivity(s.g, s.setup.adminToken, "?server=shared");
    expect(status).toBe(200);
    expect(body.total).toBe(7);
    const calls = body.activity.filter((row) => row.method === "tools/call");
    expect(calls).toHaveLength(5);
    const claims = claimsOf(s.alice);
    calls.reverse(); // newest first in the list
    calls.forEach((row, i) => {
      expect(row).toMatchObject({
        user_id: s.setup.user.id,
        client_id: claims.client_id as string,
        server: "shared",
        endpoint: "server",
        session_id: session.sessionId,
        method: "tools/call",
        target: "echo",
        outcome: "ok",
        http_status: 200,
        rpc_error_code: null,
        request_bytes: Buffer.byteLength(sent[i] as string),
        // The backend answered with SSE: the gateway never reads or counts a passed-through stream.
        response_bytes: null,
        ip: "127.0.0.1",
      });
      expect(row.latency_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(row.at)).toBe(s.g.clock.now());
    });
    const methods = body.activity.map((row) => row.method).reverse();
    expect(methods.slice(0, 2)).toEqual(["initialize", "notifications/initialized"]);
    const initialize = body.activity.find((row) => row.method === "initialize");
    expect(initialize?.session_id).toBe(session.sessionId); // learnt from the answer
  });

  test("refusals and failures: denied, rate_limited and error rows with the gateway's JSON-RPC code", async () => {
    const s = await activityStage({ RATE_LIMIT_MCP_MAX: "4", RATE_LIMIT_MCP_WINDOW: "60" });
    stage = s.stage;
    const url = `${s.g.url}/mcp/shared`;
    // No token: 401, no user.
    const anonymous = await postMessage(url, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(anonymous.status).toBe(401);
    await anonymous.text();
    // The limit: 4 requests (initialize, initialized, 2 calls), then 429.
    const session = await rawSession(s.g, s.alice);
    expect((await session.callTool(1)).status).toBe(200);
    expect((await session.callTool(2)).status).toBe(200);
    const refused = await session.callTool(3);
    expect(refused.status).toBe(429);

    const { body } = await listActivity(s.g, s.setup.adminToken);
    const byStatus = (status: number) => body.activity.filter((row) => row.http_status === status);
    // Refused before the body is read (no token, over the limit): the row names the HTTP method.
    expect(byStatus(401)).toEqual([
      expect.objectContaining({
        user_id: null,
        method: "POST",
        outcome: "denied",
        rpc_error_code: -32001,
        server: "shared",
      }),
    ]);
    const limited = byStatus(429);
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({
      user_id: s.setup.user.id,
      method: "POST",
      outcome: "rate_limited",
      rpc_error_code: -32000,
    });
    expect(limited[0]?.response_bytes).toBe(Buffer.byteLength(refused.text));
  });

  test("a tool the user's grant leaves out is a denied row; a dead backend an error row", async () => {
    const s = await activityStage();
    stage = s.stage;
    const ruled = await createServer(s.g, s.setup.adminToken, { name: "ruled", url: s.backend.url });
    const grant = await s.g.request(`/admin/api/mcp-servers/${ruled.id}/grants`, {
      method: "POST",
      headers: { ...admin(s.setup.adminToken), "content-type": "application/json" },
      body: JSON.stringify({ user_id: s.setup.other.id, allowed_tools: ["progress"] }),
    });
    expect(grant.status).toBe(201);
    const mallory = await tokenFor(s.g, "mallory", "ruled");
    const session = await rawSession(s.g, mallory, "ruled");
    const denied = await session.callTool(9, "echo");
    expect(denied.status).toBe(200);
    expect(JSON.parse(denied.text).error.code).toBe(-32602);

    await s.backend.close();
    const dead = await session.callTool(10, "progress");
    expect(dead.status).toBe(502);

    const { body } = await listActivity(
      s.g,
      s.setup.adminToken,
      `?user=${s.setup.other.id}&method=tools/call`,
    );
    expect(
      body.activity.map((row) => [row.target, row.outcome, row.http_status, row.rpc_error_code]),
    ).toEqual([
      ["progress", "error", 502, -32000],
      ["echo", "denied", 200, -32602],
    ]);
  });
});

describe("the queue", () => {
  test("when full, rows are dropped and counted, and requests are answered as usual", async () => {
    const s = await activityStage({
      ACTIVITY_QUEUE_MAX: "2",
      ACTIVITY_BATCH_SIZE: "100",
      ACTIVITY_FLUSH_INTERVAL_MS: "3600000",
    });
    stage = s.stage;
    const session = await rawSession(s.g, s.alice); // 2 rows: the queue is full
    for (const id of [1, 2, 3]) {
      const answer = await session.callTool(id);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(`t${id}`);
    }
    const metrics = await (await s.g.request("/metrics")).text();
    expect(metrics).toContain("authmcp_activity_dropped_rows_total 3");
    expect(metrics).toContain("authmcp_activity_queue_depth 2");
    const warnings = s.g.logs.filter((line) => line.includes("MCP activity queue full"));
    expect(warnings).toHaveLength(1); // once per interval, not once per row
    const { body } = await listActivity(s.g, s.setup.adminToken);
    expect(body.activity.map((row) => row.method)).toEqual(["notifications/initialized", "initialize"]);
  });

  test("MCP_LOG_DB_ENABLED=false: nothing stored, the list says so, metrics still count", async () => {
    const s = await activityStage({ MCP_LOG_DB_ENABLED: "false", ACTIVITY_SCAN_CHARS: "64" });
    stage = s.stage;
    const session = await rawSession(s.g, s.alice);
    expect((await session.callTool(1)).status).toBe(200);
    // ACTIVITY_SCAN_CHARS: a method beyond the scanned characters is not looked for (the HTTP method).
    const padded = {
      jsonrpc: "2.0",
      id: "x".repeat(80),
      method: "tools/call",
      params: { name: "echo", arguments: { text: "p" } },
    };
    const late = await postMessage(session.url, padded, session.headers);
    expect(late.status).toBe(200);
    await late.text();
    const list = await s.g.request("/admin/api/mcp-activity", { headers: admin(s.setup.adminToken) });
    expect(list.status).toBe(404);
    expect(((await list.json()) as { error: string }).error).toBe("not_stored");
    expect(storedRows(s)).toBe(0);
    const metrics = await (await s.g.request("/metrics")).text();
    expect(metrics).toContain(
      'authmcp_mcp_requests_total{endpoint="server",server="shared",method="tools/call",outcome="ok"} 1',
    );
    expect(metrics).toContain(
      'authmcp_mcp_requests_total{endpoint="server",server="shared",method="POST",outcome="ok"} 1',
    );
  });
});
