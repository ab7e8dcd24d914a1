// The command line, run as a real process: `bun src/main.ts …` from the repository root. Every
// command gets an empty --env-file so a developer's .env cannot change the outcome.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect, freePort, ROOT, runToEnd, waitFor } from "../executable/helpers.ts";

let dir = "";
let emptyEnvFile = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-cli-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return runToEnd([process.execPath, "src/main.ts", ...args], {
    cwd: ROOT,
    env: options.env ?? {},
    stdin: options.stdin,
  });
}

const COMMANDS = ["start", "create-admin", "init-db", "rotate-keys", "healthcheck", "version"];

describe("usage", () => {
  test("no command: usage on stderr, exit 2", async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: authmcp-gateway <command>");
  });

  test("unknown command: usage on stderr, exit 2", async () => {
    const r = await cli(["serve"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("unknown command: serve");
    for (const name of COMMANDS) expect(r.stderr).toContain(name);
  });

  test.each([
    "start --nope",
    "start extra",
    "healthcheck --password-stdin",
    "init-db --port 1",
    "create-admin --username",
    "create-admin --password-stdin=yes",
    "version --verbose",
  ])("%s: the command's usage on stderr, exit 2", async (line) => {
    const args = line.split(" ");
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`Usage: authmcp-gateway ${args[0]}`);
  });

  test.each(["--version --verbose", "-v extra"])(
    "%s: the version usage on stderr, exit 2 (not a crash)",
    async (line) => {
      const r = await cli(line.split(" "));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Usage: authmcp-gateway version");
      expect(r.stderr).not.toContain("    at ");
    },
  );

  test("help COMMAND prints that command's usage; help with anything else is a usage error", async () => {
    const named = await cli(["help", "init-db"]);
    expect(named.code).toBe(0);
    expect(named.stdout).toContain("Usage: authmcp-gateway init-db");
    for (const args of [
      ["help", "serve"],
      ["--help", "--nope"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Usage: authmcp-gateway <command>");
    }
  });

  test("--help lists every command on stdout", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toContain(`  ${name}`);
  });

  test.each(COMMANDS)("%s --help prints its usage and exits 0", async (name) => {
    const r = await cli([name, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`Usage: authmcp-gateway ${name}`);
  });

  test("rotate-keys --help says a running gateway needs a restart", async () => {
    const r = await cli(["rotate-keys", "--help"]);
    expect(r.stdout).toContain("restart it to sign with the new key");
  });

  test("version and --version print the package version", async () => {
    const pkg = (await Bun.file(join(ROOT, "package.json")).json()) as { version: string };
    for (const args of [["version"], ["--version"]]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toStartWith(`authmcp-gateway ${pkg.version} (bun `);
    }
  });
});

describe("invalid configuration stops with exit 2, one line per problem", () => {
  test("bad values from the environment and the command line", async () => {
    const r = await cli(["start", "--env-file", emptyEnvFile, "--host", "0.0.0.0"], {
      env: { PORT: "abc", LOG_LEVEL: "loud", JWT_ALGORITHM: "none" },
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("authmcp-gateway: invalid configuration");
    expect(lines).toContain('PORT (environment): expected a whole number from 0 to 65535, got "abc"');
    expect(lines.some((l) => l.startsWith("LOG_LEVEL (environment): expected one of"))).toBe(true);
    expect(lines.some((l) => l.startsWith("JWT_ALGORITHM (environment): expected one of"))).toBe(true);
    expect(lines).toHaveLength(4);
  });

  test("--port wins over PORT and is checked too", async () => {
    const r = await cli(["start", "--env-file", emptyEnvFile, "--port", "99999"], {
      env: { PORT: "8000" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--port (PORT) (command line): expected a whole number from 0 to 65535");
  });

  test("healthcheck reports the problems but exits 1: Docker reserves a health check's exit status 2", async () => {
    const r = await cli(["healthcheck", "--env-file", emptyEnvFile, "--port", "99999"], {
      env: { PORT: "8000" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--port (PORT) (command line): expected a whole number from 0 to 65535");
  });

  test("an unknown key in --env-file", async () => {
    const file = join(dir, "unknown.env");
    await Bun.write(file, "PORT=8001\nPROT=8002\n");
    const r = await cli(["init-db", "--env-file", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`PROT (env file ${file}): unknown setting`);
  });

  test("a missing --env-file", async () => {
    const r = await cli(["init-db", "--env-file", join(dir, "nope.env")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope.env");
  });

  test("a YAML config with an unset variable and an unknown key", async () => {
    const file = join(dir, "gateway.yaml");
    const placeholder = `$\{GATEWAY_TEST_UNSET_SECRET}`;
    await Bun.write(file, `port: 8000\nsession_secret: ${placeholder}\nfrobnicate: 1\n`);
    const r = await cli(["start", "--env-file", emptyEnvFile, "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${placeholder} (config file`);
    expect(r.stderr).toContain("environment variable is not set");
    expect(r.stderr).toContain("frobnicate (config file");
  });

  test("secrets are not echoed in the problem lines", async () => {
    const r = await cli(["init-db", "--env-file", emptyEnvFile], {
      env: { JWT_ALGORITHM: "HS256", JWT_SECRET_KEY: "short-secret-value" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("JWT_SECRET_KEY (environment): expected at least 32 characters");
    expect(r.stderr).not.toContain("short-secret-value");
  });
});

describe("init-db", () => {
  test("creates the directory and database and applies the migrations; a second run is a no-op", async () => {
    const file = join(dir, "init", "nested", "users.db");
    const env = { AUTH_SQLITE_PATH: file };
    const first = await cli(["init-db", "--env-file", emptyEnvFile], { env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(file);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    const applied = db.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get();
    const users = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'").get();
    db.close();
    expect(applied?.n).toBeGreaterThan(0);
    expect(users).not.toBeNull();

    const second = await cli(["init-db", "--env-file", emptyEnvFile], { env });
    expect(second.code).toBe(0);
    const again = new Database(file, { readonly: true });
    expect(again.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get()?.n).toBe(
      applied?.n as number,
    );
    again.close();
  });
});

describe("create-admin", () => {
  const db = () => join(dir, "admins", "users.db");
  const args = (username: string, email: string) => [
    "create-admin",
    "--env-file",
    emptyEnvFile,
    "--username",
    username,
    "--email",
    email,
    "--password-stdin",
  ];

  test("creates an admin from --password-stdin, stripping one trailing newline", async () => {
    const r = await cli(args("root1", "root1@example.com"), {
      env: { AUTH_SQLITE_PATH: db() },
      stdin: "Str0ng!Passw0rd\n",
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("created administrator root1");
    const sqlite = new Database(db(), { readonly: true });
    const row = sqlite
      .query<{ is_admin: number; password_hash: string }, []>(
        "SELECT is_admin, password_hash FROM users WHERE username = 'root1'",
      )
      .get();
    sqlite.close();
    expect(row?.is_admin).toBe(1);
    expect(await Bun.password.verify("Str0ng!Passw0rd", row?.password_hash as string)).toBe(true);
  });

  test("a duplicate username exits 1", async () => {
    const r = await cli(args("root1", "other@example.com"), {
      env: { AUTH_SQLITE_PATH: db() },
      stdin: "Str0ng!Passw0rd\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("username is already taken");
  });

  test("a weak password exits 1 naming every rule broken", async () => {
    const r = await cli(args("root2", "root2@example.com"), {
      env: { AUTH_SQLITE_PATH: db() },
      stdin: "abc\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("at least 8 characters");
    expect(r.stderr).toContain("uppercase");
    expect(r.stderr).toContain("digit");
    expect(r.stderr).not.toContain("abc");
  });

  test("the password policy comes from the settings", async () => {
    const r = await cli(args("root3", "root3@example.com"), {
      env: { AUTH_SQLITE_PATH: db(), PASSWORD_MIN_LENGTH: "20" },
      stdin: "Str0ng!Passw0rd\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("at least 20 characters");
  });

  test.each([
    ["a bad username", "x", "x@example.com", "username must be"],
    ["a bad email", "root4", "not-an-email", "email is not a valid"],
  ])("%s exits 1", async (_what, username, email, message) => {
    const r = await cli(args(username, email), {
      env: { AUTH_SQLITE_PATH: db() },
      stdin: "Str0ng!Passw0rd\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  test("an empty password on stdin exits 1", async () => {
    const r = await cli(args("root5", "root5@example.com"), { env: { AUTH_SQLITE_PATH: db() }, stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("password is empty");
  });

  test("without a terminal and without --password-stdin it refuses (exit 2) and creates nothing", async () => {
    const file = join(dir, "refuse", "users.db");
    const r = await cli(
      ["create-admin", "--env-file", emptyEnvFile, "--username", "root6", "--email", "root6@example.com"],
      { env: { AUTH_SQLITE_PATH: file } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing --password-stdin: there is no terminal to ask on");
    expect(existsSync(file)).toBe(false);
  });

  test("with --password-stdin but no --email it refuses rather than read stdin twice", async () => {
    const r = await cli(
      ["create-admin", "--env-file", emptyEnvFile, "--username", "root7", "--password-stdin"],
      {
        env: { AUTH_SQLITE_PATH: db() },
        stdin: "Str0ng!Passw0rd\n",
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing --email");
  });
});

describe("start, healthcheck and rotate-keys", () => {
  test("start serves until SIGTERM; healthcheck exits 0 while it runs and 1 on a closed port", async () => {
    const port = freePort();
    const env = { AUTH_SQLITE_PATH: join(dir, "start", "users.db"), PORT: String(port), HOST: "127.0.0.1" };
    const server = Bun.spawn([process.execPath, "src/main.ts", "start", "--env-file", emptyEnvFile], {
      cwd: ROOT,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = collect(server.stdout);
    const err = collect(server.stderr);
    try {
      await waitFor(`http://127.0.0.1:${port}/healthz`, () => `${out.text()}\n${err.text()}`);
      const ok = await cli(["healthcheck", "--env-file", emptyEnvFile], { env });
      expect(ok.code).toBe(0);
      const viaFlag = await cli(["healthcheck", "--env-file", emptyEnvFile, "--port", String(port)]);
      expect(viaFlag.code).toBe(0);
      // A second gateway on the same port fails instead of sharing it (Elysia's reusePort is off).
      const second = await cli(["start", "--env-file", emptyEnvFile], {
        env: { ...env, AUTH_SQLITE_PATH: join(dir, "start2", "users.db") },
      });
      expect(second.code).toBe(1);
      expect(second.stdout).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      await Promise.all([out.done, err.done]);
    }
    const lines = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines[0]?.msg).toBe(`listening on http://127.0.0.1:${port} (public URL http://localhost:${port})`);
    expect(lines.some((l) => l.msg.includes(`/setup and enter the setup code`))).toBe(true);
    expect(lines.at(-1)?.msg).toBe("stopping");

    const closed = await cli(["healthcheck", "--env-file", emptyEnvFile], { env });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`unhealthy: http://127.0.0.1:${port}/healthz`);
  }, 30_000);

  test("start logs configuration warnings and stops cleanly on SIGINT", async () => {
    const port = freePort();
    const yaml = join(dir, "warn.yaml");
    await Bun.write(yaml, `port: ${port}\nhost: 127.0.0.1\ncors:\n  allow_credentials: true\n`);
    const server = Bun.spawn(
      [process.execPath, "src/main.ts", "start", "--env-file", emptyEnvFile, "--config", yaml],
      { cwd: ROOT, env: { AUTH_SQLITE_PATH: join(dir, "warn", "users.db") }, stdout: "pipe", stderr: "pipe" },
    );
    const out = collect(server.stdout);
    const err = collect(server.stderr);
    try {
      await waitFor(`http://127.0.0.1:${port}/healthz`, () => `${out.text()}\n${err.text()}`);
    } finally {
      server.kill("SIGINT");
      expect(await server.exited).toBe(0);
      await Promise.all([out.done, err.done]);
    }
    const lines = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: string; msg: string; signal?: string });
    expect(
      lines.some((l) => l.level === "warn" && l.msg.startsWith("cors.allow_credentials (config file")),
    ).toBe(true);
    // The log line of the last /healthz poll may come just before or just after this one.
    expect(lines.find((l) => l.msg === "stopping")).toMatchObject({ signal: "SIGINT" });
    expect(lines.filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
  }, 30_000);

  test("start on a port already in use exits 1", async () => {
    const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("busy") });
    try {
      const r = await cli(
        ["start", "--env-file", emptyEnvFile, "--host", "127.0.0.1", "--port", String(busy.port)],
        {
          env: { AUTH_SQLITE_PATH: join(dir, "busy", "users.db") },
        },
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`port ${busy.port} on 127.0.0.1 is already in use`);
    } finally {
      busy.stop(true);
    }
  });

  test("healthcheck exits 1 when /healthz answers an error", async () => {
    const sick = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("no", { status: 503 }),
    });
    try {
      const r = await cli([
        "healthcheck",
        "--env-file",
        emptyEnvFile,
        "--host",
        "127.0.0.1",
        "--port",
        String(sick.port),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("answered 503");
    } finally {
      sick.stop(true);
    }
  });

  test("rotate-keys adds a key and keeps the old one", async () => {
    const dataDir = join(dir, "rotate");
    const env = { AUTH_SQLITE_PATH: join(dataDir, "users.db") };
    const first = await cli(["rotate-keys", "--env-file", emptyEnvFile], { env });
    expect(first.code).toBe(0);
    const second = await cli(["rotate-keys", "--env-file", emptyEnvFile], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("restart the gateway");
    const file = (await Bun.file(join(dataDir, "signing-keys.json")).json()) as {
      keys: { kid: string; retiredAt?: number }[];
    };
    expect(file.keys).toHaveLength(2);
    expect(file.keys[0]?.retiredAt).toBeNumber();
    expect(file.keys[1]?.retiredAt).toBeUndefined();
  });

  test("rotate-keys refuses with HS256", async () => {
    const r = await cli(["rotate-keys", "--env-file", emptyEnvFile], {
      env: { AUTH_SQLITE_PATH: join(dir, "hs", "users.db"), JWT_ALGORITHM: "HS256" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("JWT_SECRET_KEY");
  });
});

describe("create-admin on a terminal", () => {
  /** Runs create-admin under `script`, which gives it a pseudo-terminal; answers each prompt when it shows. */
  test("asks for what is missing and does not echo the password", async () => {
    const scriptBin = Bun.which("script");
    if (!scriptBin) throw new Error("this test needs `script` (util-linux) to provide a terminal");
    const file = join(dir, "tty", "users.db");
    const command = `${process.execPath} src/main.ts create-admin --env-file ${emptyEnvFile}`;
    const proc = Bun.spawn([scriptBin, "-qec", command, "/dev/null"], {
      cwd: ROOT,
      env: { AUTH_SQLITE_PATH: file, TERM: "dumb" },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const until = async (text: string) => {
      while (!seen.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`output ended before ${JSON.stringify(text)}:\n${seen}`);
        seen += decoder.decode(value, { stream: true });
      }
    };
    const answer = (text: string) => {
      proc.stdin.write(`${text}\r`);
      proc.stdin.flush();
    };
    const password = "Tty!Passw0rd-123";
    await until("Username: ");
    answer("ttyadmin");
    await until("Email: ");
    answer("tty@example.com");
    await until("Password: ");
    answer(password);
    await until("Password again: ");
    answer(password);
    await until("created administrator ttyadmin");
    proc.stdin.end();
    expect(await proc.exited).toBe(0);
    expect(seen).toContain("ttyadmin"); // the username is echoed as typed
    expect(seen).not.toContain(password);
  }, 30_000);
});
