// Retention through the CLI: `authmcp-gateway cleanup` deletes exactly the rows past their
// retention and says how many; `start` runs the same cleanup, flushes activity on its timer and on
// shutdown, and ends open activity streams when it stops.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActivityStore } from "../../src/audit/activity/store.ts";
import { eventually, runCommand, spawnGateway } from "../cli/start-helpers.ts";
import { INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { activityRow } from "../support/activity-row.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";

const DAY = 86_400_000;
const PASSWORD = "Cleanup!Passw0rd-1";

let dir = "";
let emptyEnvFile = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-cleanup-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A data directory with the schema applied (init-db) and rows `ageDays` old in both tables. */
async function seeded(name: string, activityAges: number[], eventAges: number[]) {
  const dataDir = join(dir, name);
  mkdirSync(dataDir);
  const env = { AUTH_SQLITE_PATH: join(dataDir, "users.db") };
  expect((await runCommand(["init-db"], env, emptyEnvFile)).code).toBe(0);
  const db = new Database(env.AUTH_SQLITE_PATH);
  const now = Date.now();
  // One segment per row: the cleanup deletes whole segments and rewrites none here.
  for (const age of activityAges)
    new ActivityStore(db).insertAll([activityRow({ at: now - age * DAY, target: `age-${age}` })]);
  for (const age of eventAges) {
    db.run(
      "INSERT INTO security_events (at, type, severity, details) VALUES (?, 'login_failure', 'low', ?)",
      [now - age * DAY, JSON.stringify({ age })],
    );
  }
  db.close();
  const remaining = () => {
    const read = new Database(env.AUTH_SQLITE_PATH, { readonly: true });
    try {
      return {
        activity: new ActivityStore(read)
          .page({}, 1000, 0)
          .rows.reverse()
          .map((r) => r.target),
        events: (
          read.query("SELECT details FROM security_events ORDER BY at").all() as { details: string }[]
        ).map((r) => (JSON.parse(r.details) as { age: number }).age),
      };
    } finally {
      read.close();
    }
  };
  return { dataDir, env, remaining };
}

describe("authmcp-gateway cleanup", () => {
  test("deletes exactly the rows older than their retention and prints the counts", async () => {
    const { env, remaining } = await seeded("cli", [45, 31, 29, 1], [10, 8, 6, 0]);
    const result = await runCommand(
      ["cleanup"],
      { ...env, ACTIVITY_RETENTION_DAYS: "30", SECURITY_EVENT_RETENTION_DAYS: "7" },
      emptyEnvFile,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("deleted 2 MCP activity rows recorded before");
    expect(result.stdout).toContain("(ACTIVITY_RETENTION_DAYS=30)");
    expect(result.stdout).toContain("deleted 2 security events recorded before");
    expect(remaining()).toEqual({ activity: ["age-29", "age-1"], events: [6, 0] });

    const again = await runCommand(["cleanup"], { ...env, ACTIVITY_RETENTION_DAYS: "30" }, emptyEnvFile);
    expect(again.stdout).toContain("deleted 0 MCP activity rows");
  });

  test("refuses a retention setting out of range", async () => {
    const result = await runCommand(["cleanup"], { ACTIVITY_RETENTION_DAYS: "0" }, emptyEnvFile);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("ACTIVITY_RETENTION_DAYS");
  });
});

describe("under start", () => {
  let backend: McpBackend;
  beforeAll(async () => {
    backend = await startMcpBackend();
  });
  afterAll(() => backend?.close());

  test("cleanup runs at start; activity is written on the flush timer; streams end on shutdown", async () => {
    const { dataDir, env, remaining } = await seeded("start", [40, 2], [100, 1]);
    const created = await runCommand(
      ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"],
      env,
      emptyEnvFile,
      `${PASSWORD}\n`,
    );
    expect(created.code).toBe(0);
    const gateway = await spawnGateway(dataDir, emptyEnvFile, {
      ACTIVITY_FLUSH_INTERVAL_MS: "50",
      ACTIVITY_BATCH_SIZE: "1000",
      RETENTION_CLEANUP_INTERVAL_SECONDS: "1",
    });
    let stopped = false;
    try {
      await eventually("the cleanup ran at start", async () =>
        remaining().activity.length === 1 ? true : undefined,
      );
      expect(remaining()).toEqual({ activity: ["age-2"], events: [1] });
      // And again every RETENTION_CLEANUP_INTERVAL_SECONDS: a row that became old is deleted.
      const db = new Database(env.AUTH_SQLITE_PATH);
      new ActivityStore(db).insertAll([
        activityRow({ at: Date.now() - 31 * DAY, method: "ping", target: "age-31" }),
      ]);
      db.close();
      await eventually("the periodic cleanup ran", async () =>
        remaining().activity.includes("age-31") ? undefined : true,
      );
      expect(remaining().activity).toEqual(["age-2"]);

      const signIn = async (resource?: string) => {
        const response = await fetch(`${gateway.base}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "root", password: PASSWORD, resource }),
        });
        return ((await response.json()) as { access_token: string }).access_token;
      };
      const auth = { authorization: `Bearer ${await signIn()}` };
      const add = await fetch(`${gateway.base}/admin/api/mcp-servers`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "notes", url: backend.url, open_to_all: true }),
      });
      expect(add.status).toBe(201);
      const stream = await fetch(`${gateway.base}/admin/api/mcp-activity/stream`, { headers: auth });
      expect(stream.status).toBe(200);

      // The resource is named by the public URL (default http://localhost:PORT).
      const mcpToken = await signIn(`http://localhost:${gateway.port}/mcp/notes`);
      const init = await postMessage(`${gateway.base}/mcp/notes`, INITIALIZE, {
        authorization: `Bearer ${mcpToken}`,
      });
      expect(init.status).toBe(200);
      await init.text();
      // Written by the timer (nothing here lists or flushes).
      await eventually("the initialize row is written", async () =>
        remaining().activity.includes(null as unknown as string) ? true : undefined,
      );

      const reading = (async () => {
        const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
        let text = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return text;
          text += new TextDecoder().decode(value);
        }
      })();
      expect(await gateway.stop()).toBe(0);
      stopped = true;
      // The stream ended with the gateway (not cut mid-event), after carrying the initialize row.
      const text = await reading;
      expect(text).toContain('"method":"initialize"');
      expect(text.endsWith("\n\n")).toBe(true);
    } finally {
      if (!stopped) await gateway.stop();
    }
  });
});
