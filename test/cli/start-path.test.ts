// What `authmcp-gateway start` runs, seen from outside: the gateway as a real process
// (`bun src/main.ts start`) on a temporary data directory and a free port. Backend health checks run
// under it, a port already in use is one clear line, and the first run is protected by a setup code.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Jar } from "../admin/web.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { eventually, type LogLine, runCommand, spawnGateway } from "./start-helpers.ts";

const PASSWORD = "Start!Passw0rd-path";

let dir = "";
let emptyEnvFile = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-start-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string>, stdin?: string) =>
  runCommand(args, env, emptyEnvFile, stdin);
const startGateway = (name: string, extraEnv: Record<string, string> = {}) =>
  spawnGateway(join(dir, name), emptyEnvFile, extraEnv);

describe("backend health checks run under start", () => {
  let backend: McpBackend;
  beforeAll(async () => {
    backend = await startMcpBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  test("a server added through the admin API goes online, then offline when its backend stops", async () => {
    const name = "health";
    const env = { AUTH_SQLITE_PATH: join(dir, name, "users.db") };
    const created = await cli(
      ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(created.code).toBe(0);
    const gateway = await startGateway(name, { MCP_HEALTH_CHECK_INTERVAL_MS: "1000" });
    try {
      const login = await fetch(`${gateway.base}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root", password: PASSWORD }),
      });
      const { access_token: token } = (await login.json()) as { access_token: string };
      const auth = { authorization: `Bearer ${token}` };
      const add = await fetch(`${gateway.base}/admin/api/mcp-servers`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "notes", url: backend.url }),
      });
      expect(add.status).toBe(201);

      const healthOf = async () => {
        const response = await fetch(`${gateway.base}/admin/api/mcp-servers`, { headers: auth });
        const { servers } = (await response.json()) as {
          servers: { name: string; health: { status: string } }[];
        };
        return servers.find((s) => s.name === "notes")?.health.status;
      };
      await eventually("the server goes online", async () =>
        (await healthOf()) === "online" ? true : undefined,
      );
      const ready = (await (await fetch(`${gateway.base}/readyz`)).json()) as {
        backends: Record<string, number>;
      };
      expect(ready.backends).toMatchObject({ online: 1, unknown: 0 });
      // The health check spoke MCP to the backend: initialize, then ping.
      const methods = backend.received.map((r) => (r.body as { method?: string } | undefined)?.method);
      expect(methods).toContain("initialize");
      expect(methods).toContain("ping");

      await backend.close();
      await eventually("the server goes offline", async () =>
        (await healthOf()) === "offline" ? true : undefined,
      );
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    // Stopping the gateway stopped the checks with it: the process ended cleanly (exit 0 above).
    expect(gateway.lines().filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
  }, 60_000);
});

describe("a port already in use", () => {
  test("one clear line naming port and address, the error code kept, no stack; exit 1", async () => {
    const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
    try {
      const r = await cli(["start", "--host", "127.0.0.1", "--port", String(busy.port)], {
        AUTH_SQLITE_PATH: join(dir, "busy", "users.db"),
      });
      expect(r.code).toBe(1);
      const lines = r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as LogLine);
      const errors = lines.filter((l) => l.level === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toBe(`port ${busy.port} on 127.0.0.1 is already in use`);
      expect(errors[0]?.err).toMatchObject({ code: "EADDRINUSE" });
      expect(r.stdout).not.toContain("[redacted]");
      expect(r.stdout).not.toContain("    at ");
      expect(r.stderr).toBe("");
    } finally {
      busy.stop(true);
    }
  });
});

describe("the first run is protected by a one-time setup code", () => {
  test("printed in the log with the /setup URL and kept in a 0600 file; the wizard needs it; then both are gone", async () => {
    const gateway = await startGateway("first-run");
    try {
      const hint = await gateway.logLine((l) => l.msg.startsWith("no admin yet:"));
      const code = /setup code ([0-9A-Z-]+) /.exec(hint.msg)?.[1] as string;
      const file = join(gateway.dataDir, "setup-code");
      expect(hint.msg).toBe(
        `no admin yet: open ${gateway.base.replace("127.0.0.1", "localhost")}/setup and enter the setup code ${code} (also in ${file}), or run create-admin`,
      );
      expect(readFileSync(file, "utf8").trim()).toBe(code);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const submit = async (setupCode: string) => {
        const jar = new Jar();
        const page = jar.take(await fetch(`${gateway.base}/setup`));
        const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string;
        return jar.take(
          await fetch(`${gateway.base}/setup`, {
            method: "POST",
            redirect: "manual",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              origin: gateway.base.replace("127.0.0.1", "localhost"),
              cookie: jar.header(),
            },
            body: new URLSearchParams({
              _csrf: csrf,
              setup_code: setupCode,
              username: "owner",
              email: "owner@example.com",
              password: PASSWORD,
              password_confirm: PASSWORD,
            }),
          }),
        );
      };
      // Someone who reached the port first, without the code: nothing is created.
      const intruder = await submit("0000-0000-0000-0000-0000");
      expect(intruder.status).toBe(400);
      expect(await intruder.text()).toContain("Setup code: not the code in force.");
      const noAdmin = await fetch(`${gateway.base}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "owner", password: PASSWORD }),
      });
      expect(noAdmin.status).toBe(401);

      // The owner, with the code from the log.
      const owner = await submit(code);
      expect(owner.status).toBe(303);
      expect(owner.headers.get("location")).toBe("/admin/");
      expect(existsSync(file)).toBe(false);
      expect((await fetch(`${gateway.base}/setup`)).status).toBe(404);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  }, 30_000);

  test("create-admin while the gateway runs removes the code; a restart with an admin prints none", async () => {
    const gateway = await startGateway("cli-admin");
    const file = join(gateway.dataDir, "setup-code");
    try {
      await gateway.logLine((l) => l.msg.startsWith("no admin yet:"));
      expect(existsSync(file)).toBe(true);
      const created = await cli(
        ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"],
        { AUTH_SQLITE_PATH: gateway.env.AUTH_SQLITE_PATH },
        `${PASSWORD}\n`,
      );
      expect(created.code).toBe(0);
      expect(existsSync(file)).toBe(false);
      expect((await fetch(`${gateway.base}/setup`)).status).toBe(404);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
    const again = await startGateway("cli-admin");
    try {
      await again.logLine((l) => l.msg.startsWith("listening on"));
      expect(again.lines().some((l) => l.msg.includes("setup code"))).toBe(false);
      expect(existsSync(file)).toBe(false);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 30_000);
});

describe("a server added or changed is checked at once under start", () => {
  let backend: McpBackend;
  beforeAll(async () => {
    backend = await startMcpBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  test("with an hour between periodic checks: online right after it is added, offline right after its URL is broken", async () => {
    const name = "health-now";
    const env = { AUTH_SQLITE_PATH: join(dir, name, "users.db") };
    const created = await cli(
      ["create-admin", "--username", "root", "--email", "root@example.com", "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(created.code).toBe(0);
    const gateway = await startGateway(name, { MCP_HEALTH_CHECK_INTERVAL_MS: "3600000" });
    try {
      const login = await fetch(`${gateway.base}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root", password: PASSWORD }),
      });
      const { access_token: token } = (await login.json()) as { access_token: string };
      const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const add = await fetch(`${gateway.base}/admin/api/mcp-servers`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ name: "notes", url: backend.url }),
      });
      expect(add.status).toBe(201);
      const { id } = (await add.json()) as { id: string };
      const healthOf = async () => {
        const response = await fetch(`${gateway.base}/admin/api/mcp-servers/${id}`, { headers: auth });
        return ((await response.json()) as { health: { status: string } }).health.status;
      };
      await eventually("the new server is checked and online", async () =>
        (await healthOf()) === "online" ? true : undefined,
      );

      // A port nothing listens on (the backend's, after a second backend there was stopped).
      const dead = await startMcpBackend();
      const deadUrl = dead.url;
      await dead.close();
      const patch = await fetch(`${gateway.base}/admin/api/mcp-servers/${id}`, {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ url: deadUrl }),
      });
      expect(patch.status).toBe(200);
      await eventually("the changed server is checked again and offline", async () =>
        (await healthOf()) === "offline" ? true : undefined,
      );
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
