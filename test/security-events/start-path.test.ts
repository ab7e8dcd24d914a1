// Under `authmcp-gateway start` (a real process): an event waiting in the queue when the gateway is
// stopped is written on shutdown, and the admin API serves what was recorded before the request.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/connection.ts";
import { runCommand, spawnGateway } from "../cli/start-helpers.ts";

const PASSWORD = "Start!Passw0rd-events";
let dir = "";
let emptyEnvFile = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-events-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("start: events reach the admin API at once and the queue is written on SIGTERM", async () => {
  const dataDir = join(dir, "gw");
  const env = { AUTH_SQLITE_PATH: join(dataDir, "users.db") };
  const created = await runCommand(
    ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"],
    env,
    emptyEnvFile,
    `${PASSWORD}\n`,
  );
  expect(created.code).toBe(0);
  // An hour between timed writes: only a read or the shutdown writes the queue.
  const gateway = await spawnGateway(dataDir, emptyEnvFile, { SECURITY_LOG_FLUSH_INTERVAL_MS: "3600000" });
  const signIn = (password: string) =>
    fetch(`${gateway.base}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "root", password }),
    });
  let code: number | undefined;
  try {
    const ok = await signIn(PASSWORD);
    const { access_token: token } = (await ok.json()) as { access_token: string };
    const listed = await fetch(`${gateway.base}/admin/api/security-logs?type=login_success`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await listed.json()) as { events: { ip: string; details: unknown }[] };
    expect(page.events.map((e) => [e.ip, e.details])).toEqual([["127.0.0.1", { via: "/auth/login" }]]);
    expect((await signIn("Wrong-Password-123")).status).toBe(401);
  } finally {
    code = await gateway.stop();
  }
  expect(code).toBe(0);
  const db = openDatabase(env.AUTH_SQLITE_PATH, { busyTimeoutMs: 1000 });
  const rows = db.$client.query("SELECT type, ip FROM security_events WHERE type = 'login_failure'").all();
  db.$client.close();
  expect(rows).toEqual([{ type: "login_failure", ip: "127.0.0.1" }]);
});
