// The compiled executable's activity writer thread: the worker is a second entry point of the
// build (scripts/build.ts) and must be found inside the executable, wherever it runs from. Started
// as a user starts it (`start` in a directory of its own), an MCP request's row reaches the
// database file as a full batch while it runs, and the rest on SIGTERM.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ActivityStore } from "../../src/audit/activity/store.ts";
import { buildExecutable, collect, freePort, runToEnd, waitFor } from "../executable/helpers.ts";
import { INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { until } from "./helpers.ts";

const PASSWORD = "Writer!Passw0rd-1";
let binary = "";
let backend: McpBackend;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  binary = await buildExecutable();
  cleanup.push(() => rmSync(dirname(binary), { recursive: true, force: true }));
  backend = await startMcpBackend();
}, 120_000);

afterAll(async () => {
  await backend?.close();
  for (const task of cleanup.reverse()) task();
});

test("the built executable writes activity rows from its writer thread, in full batches and at shutdown", async () => {
  const cwd = mkdtempSync(join(tmpdir(), "authmcp-built-writer-"));
  cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
  const port = freePort();
  const file = join(cwd, "data", "gateway.db");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AUTH_SQLITE_PATH: file,
    PORT: String(port),
    LOG_LEVEL: "warn",
    // A full batch of two is written at once; a third row waits for the (hour-long) interval.
    ACTIVITY_BATCH_SIZE: "2",
    ACTIVITY_FLUSH_INTERVAL_MS: "3600000",
  };
  const admin = ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"];
  expect((await runToEnd([binary, ...admin], { cwd, env, stdin: `${PASSWORD}\n` })).code).toBe(0);
  const server = Bun.spawn([binary, "start"], { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = collect(server.stdout);
  const err = collect(server.stderr);
  const base = `http://127.0.0.1:${port}`;
  const rows = () => {
    const db = new Database(file, { readonly: true });
    try {
      return new ActivityStore(db)
        .page({}, 1000, 0)
        .rows.sort((a, b) => a.id - b.id)
        .map((r) => ({ method: r.method }));
    } finally {
      db.close();
    }
  };
  try {
    await waitFor(`${base}/healthz`, () => `stdout:\n${out.text()}\nstderr:\n${err.text()}`);
    const signIn = async (resource?: string) => {
      const response = await fetch(`${base}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root", password: PASSWORD, resource }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const add = await fetch(`${base}/admin/api/mcp-servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${await signIn()}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "notes", url: backend.url, open_to_all: true }),
    });
    expect(add.status).toBe(201);
    const mcp = { authorization: `Bearer ${await signIn(`http://localhost:${port}/mcp/notes`)}` };
    const init = await postMessage(`${base}/mcp/notes`, INITIALIZE, mcp);
    expect(init.status).toBe(200);
    await init.text();
    const headers = {
      ...mcp,
      "mcp-session-id": init.headers.get("mcp-session-id") as string,
      "mcp-protocol-version": "2025-06-18",
    };
    const ping = async (id: number) => {
      const answer = await postMessage(`${base}/mcp/notes`, { jsonrpc: "2.0", id, method: "ping" }, headers);
      expect(answer.status).toBe(200);
      await answer.text();
    };
    await ping(2);
    await until("the full batch is written", () => (rows().length === 2 ? true : undefined));
    await ping(3);
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(rows().map((row) => row.method)).toEqual(["initialize", "ping", "ping"]);
    expect(`${out.text()}${err.text()}`).not.toContain("writer thread");
  } finally {
    server.kill("SIGKILL");
  }
}, 120_000);
