import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/db/connection.ts";
import { type TestGateway, tempDir, testGateway } from "../support/context.ts";
import { rawRows, stored } from "./helpers.ts";

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const open = async (env: Record<string, string>, options: Parameters<typeof testGateway>[1] = {}) => {
  gateway = await testGateway(env, options);
  return gateway;
};

/** Waits (bounded) until the condition holds: the writer runs on its own timer. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await Bun.sleep(10);
  expect(check()).toBe(true);
}

const countRows = (g: TestGateway) =>
  (g.ctx.db.$client.query("SELECT count(*) AS n FROM security_events").get() as { n: number }).n;

describe("the stored security log", () => {
  test("recording only queues: nothing is written during the call, a full batch right after it", async () => {
    const g = await open({ SECURITY_LOG_BATCH_SIZE: "3", SECURITY_LOG_FLUSH_INTERVAL_MS: "3600000" });
    for (const n of [1, 2, 3]) g.ctx.securityEvents.record({ type: "login_failure", ip: `192.0.2.${n}` });
    expect(countRows(g)).toBe(0);
    expect(g.ctx.securityLog.depth).toBe(3);
    await eventually(() => countRows(g) === 3);
    const rows = rawRows(g);
    expect(rows.map((r) => r.ip)).toEqual(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    expect(rows[0]).toMatchObject({
      type: "login_failure",
      severity: "low",
      at: g.clock.now(),
      details: "{}",
    });
  });

  test("a partial batch is written after SECURITY_LOG_FLUSH_INTERVAL_MS", async () => {
    const g = await open({ SECURITY_LOG_BATCH_SIZE: "1000", SECURITY_LOG_FLUSH_INTERVAL_MS: "20" });
    g.ctx.securityEvents.record({ type: "account_locked", userId: "u-1" });
    expect(countRows(g)).toBe(0);
    await eventually(() => countRows(g) === 1);
  });

  test("a full queue drops new events, counts them and warns; the request is not held", async () => {
    const g = await open({
      SECURITY_LOG_QUEUE_MAX: "2",
      SECURITY_LOG_BATCH_SIZE: "1000",
      SECURITY_LOG_FLUSH_INTERVAL_MS: "3600000",
    });
    for (const n of [1, 2, 3, 4, 5])
      g.ctx.securityEvents.record({ type: "invalid_token", ip: `192.0.2.${n}` });
    expect(g.ctx.securityLog.dropped).toBe(3);
    expect(g.ctx.securityLog.flush()).toBe(2);
    expect(rawRows(g).map((r) => r.ip)).toEqual(["192.0.2.1", "192.0.2.2"]);
    const warning = g.logs.map((l) => JSON.parse(l)).find((l) => l.msg?.includes("security events dropped"));
    expect(warning).toMatchObject({ dropped: 3, queue_max: 2 });
  });

  test("close writes what is still waiting", async () => {
    const dir = tempDir();
    const g = await testGateway({ SECURITY_LOG_FLUSH_INTERVAL_MS: "3600000" }, { dir });
    g.ctx.securityEvents.record({ type: "token_revoked", userId: "u-9" });
    await g.close();
    const db = openDatabase(join(dir, "users.db"), { busyTimeoutMs: 1000 });
    const rows = db.$client.query("SELECT type, user_id FROM security_events").all();
    db.$client.close();
    expect(rows).toEqual([{ type: "token_revoked", user_id: "u-9" }]);
  });

  test("deleteBefore removes exactly the events older than the cutoff and says how many", async () => {
    const g = await open({});
    const start = g.clock.now();
    for (const n of [1, 2, 3]) {
      g.ctx.securityEvents.record({ type: "login_success", userId: `u-${n}` });
      g.clock.advance(60_000);
    }
    expect(g.ctx.securityLog.deleteBefore(start + 60_000)).toBe(1);
    expect(stored(g, "login_success").map((e) => e.userId)).toEqual(["u-2", "u-3"]);
    expect(g.ctx.securityLog.deleteBefore(start + 120_000)).toBe(1);
    expect(stored(g, "login_success").map((e) => e.userId)).toEqual(["u-3"]);
  });
});

describe("SECURITY_LOG_REPEAT_SECONDS", () => {
  const flood = (g: TestGateway, ip: string, times: number) => {
    for (let i = 0; i < times; i++) {
      g.ctx.securityEvents.record({ type: "invalid_token", ip, details: { error: "invalid_token" } });
    }
  };

  test("identical events from one IP: the first is stored, the repeats counted into one summary row when the window ends", async () => {
    const g = await open({ SECURITY_LOG_REPEAT_SECONDS: "60" });
    flood(g, "198.51.100.7", 500);
    flood(g, "198.51.100.8", 2); // another address is its own row
    g.ctx.securityEvents.record({ type: "invalid_token", ip: "198.51.100.7", details: { error: "other" } });
    const rows = () => stored(g, "invalid_token").map((e) => [e.ip, e.details]);
    expect(rows()).toEqual([
      ["198.51.100.7", { error: "invalid_token" }],
      ["198.51.100.8", { error: "invalid_token" }],
      ["198.51.100.7", { error: "other" }],
    ]);
    g.clock.advance(59_000);
    flood(g, "198.51.100.7", 1);
    expect(rows()).toHaveLength(3);
    g.clock.advance(1_000);
    // Each summary is a copy of the latest repeat (its time too).
    expect(rows().slice(3)).toEqual([
      ["198.51.100.8", { error: "invalid_token", repeatsSuppressed: 1 }],
      ["198.51.100.7", { error: "invalid_token", repeatsSuppressed: 500 }],
    ]);
    flood(g, "198.51.100.7", 1);
    expect(rows()).toHaveLength(6);
  });

  test("repeats still being counted at shutdown are summarised, not lost", async () => {
    const dir = tempDir();
    const g = await testGateway({}, { dir });
    flood(g, "198.51.100.9", 3);
    await g.close();
    const db = openDatabase(join(dir, "users.db"), { busyTimeoutMs: 1000 });
    const details = db.$client.query("SELECT details FROM security_events ORDER BY id").all();
    db.$client.close();
    expect(details).toEqual([
      { details: '{"error":"invalid_token"}' },
      { details: '{"error":"invalid_token","repeatsSuppressed":2}' },
    ]);
  });

  test("0 stores every event", async () => {
    const g = await open({ SECURITY_LOG_REPEAT_SECONDS: "0" });
    flood(g, "198.51.100.7", 5);
    expect(stored(g, "invalid_token")).toHaveLength(5);
  });

  test("admin changes are never folded", async () => {
    const g = await open({});
    for (let i = 0; i < 3; i++) {
      g.ctx.securityEvents.record({ type: "admin_change", userId: "a", ip: "192.0.2.1", details: { x: 1 } });
    }
    expect(stored(g, "admin_change")).toHaveLength(3);
  });
});
