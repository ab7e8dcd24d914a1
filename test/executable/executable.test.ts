// The built executable, end to end: started in an empty directory with only AUTH_SQLITE_PATH (and a
// free PORT) set, and inside a chroot holding exactly what the FROM scratch image holds.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildExecutable, collect, freePort, runToEnd, waitFor } from "./helpers.ts";

const PASSWORD = "Sm0ke!test-Passw0rd";
let binary = "";
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  binary = await buildExecutable();
  cleanup.push(() => rmSync(dirname(binary), { recursive: true, force: true }));
}, 120_000);

afterAll(() => {
  for (const task of cleanup.reverse()) task();
});

interface Launch {
  /** argv prefix that runs the executable (plain, or through chroot). */
  prefix: string[];
  cwd: string;
  env: Record<string, string>;
}

async function run(launch: Launch, args: string[], stdin?: string) {
  return runToEnd([...launch.prefix, ...args], { cwd: launch.cwd, env: launch.env, stdin });
}

/** start, /healthz, create-admin --password-stdin, POST /auth/login, healthcheck, SIGTERM. */
async function smoke(launch: Launch, port: number) {
  const base = `http://127.0.0.1:${port}`;
  const server = Bun.spawn([...launch.prefix, "start"], {
    cwd: launch.cwd,
    env: launch.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = collect(server.stdout);
  const err = collect(server.stderr);
  try {
    await waitFor(`${base}/healthz`, () => `stdout:\n${out.text()}\nstderr:\n${err.text()}`);
    // The log line may reach the pipe a moment after the port answers.
    const hint = `no admin yet: open http://localhost:${port}/setup`;
    for (let i = 0; i < 200 && !out.text().includes(hint); i++) await Bun.sleep(10);
    expect(out.text()).toContain(hint);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);

    const created = await run(
      launch,
      ["create-admin", "--username", "smoke", "--email", "smoke@example.com", "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);

    const login = await fetch(`${base}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "smoke", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { access_token: string; token_type: string };
    expect(tokens.token_type).toBe("Bearer");
    const me = await fetch(`${base}/auth/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { username: string; is_admin: boolean } }).user).toMatchObject({
      username: "smoke",
      is_admin: true,
    });

    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);

    // Embedded static files and views are served from inside the executable.
    const css = await fetch(`${base}/static/app.css`);
    expect(css.status).toBe(200);
    expect((await css.text()).length).toBeGreaterThan(0);

    const health = await run(launch, ["healthcheck"]);
    expect(health.code).toBe(0);
  } finally {
    server.kill("SIGTERM");
    const code = await server.exited;
    await Promise.all([out.done, err.done]);
    expect(code).toBe(0);
  }
  expect(out.text()).toContain('"msg":"stopping"');
  expect(out.text()).not.toContain(PASSWORD);
  const afterStop = await run(launch, ["healthcheck"]);
  expect(afterStop.code).toBe(1);
}

describe("the built executable", () => {
  test("runs end to end from an empty directory with only AUTH_SQLITE_PATH set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authmcp-empty-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = freePort();
    const launch = {
      prefix: [binary],
      cwd: dir,
      env: { AUTH_SQLITE_PATH: "data/users.db", PORT: String(port) },
    };

    const version = await run(launch, ["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^authmcp-gateway \d+\.\d+\.\d+/);

    await smoke(launch, port);
    // Secrets were generated next to the database, readable by the owner only.
    const files = readdirSync(join(dir, "data"));
    expect(files).toContain("users.db");
    expect(files).toContain("signing-keys.json");
    expect(statSync(join(dir, "data", "signing-keys.json")).mode & 0o077).toBe(0);
  }, 60_000);

  test("reads .env itself (validated, replaced by --env-file) and never bunfig.toml", async () => {
    const dir = mkdtempSync(join(tmpdir(), "authmcp-dotenv-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const launch = { prefix: [binary], cwd: dir, env: { AUTH_SQLITE_PATH: join(dir, "data", "users.db") } };
    // The gateway reads .env itself and validates it: an unknown key stops it with exit 2.
    await Bun.write(join(dir, ".env"), "NOT_A_SETTING=1\n");
    const unknown = await run(launch, ["init-db"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("NOT_A_SETTING (env file");
    // With --env-file, .env is not read at all: had Bun loaded it into the environment, its valid
    // PORT would win over the env file's invalid one and the command would succeed.
    await Bun.write(join(dir, ".env"), "PORT=8123\n");
    await Bun.write(join(dir, "other.env"), "PORT=99999\n");
    const replaced = await run(launch, ["init-db", "--env-file", "other.env"]);
    expect(replaced.code).toBe(2);
    expect(replaced.stderr).toContain(`PORT (env file ${join(dir, "other.env")}): expected a whole number`);
    // bunfig.toml is ignored: its preload would leave a marker file.
    await Bun.write(join(dir, ".env"), "");
    await Bun.write(join(dir, "bunfig.toml"), 'preload = ["./marker.ts"]\n');
    await Bun.write(
      join(dir, "marker.ts"),
      `await Bun.write(${JSON.stringify(join(dir, "preloaded"))}, "x");\n`,
    );
    const plain = await run(launch, ["init-db"]);
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    expect(existsSync(join(dir, "preloaded"))).toBe(false);
  });
});

/** The shared libraries `ldd` lists for the executable, including the dynamic loader. */
async function linkedLibraries(file: string): Promise<string[]> {
  const ldd = Bun.spawn(["ldd", file], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(ldd.stdout).text();
  if ((await ldd.exited) !== 0) throw new Error(`ldd ${file} failed`);
  const paths = [...text.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1] as string);
  return [...new Set(paths)];
}

describe("the FROM scratch image, as a chroot", () => {
  test("serves /healthz and /auth/login with only the executable, its libraries, /data and /proc", async () => {
    if (process.getuid?.() !== 0) {
      throw new Error("this test needs root (chroot and mount -t proc); CI runs as root");
    }
    const root = mkdtempSync(join(tmpdir(), "authmcp-chroot-"));
    chmodSync(root, 0o755);
    let mounted = false;
    try {
      copyFileSync(binary, join(root, "authmcp-gateway"));
      chmodSync(join(root, "authmcp-gateway"), 0o755);
      const libraries = await linkedLibraries(binary);
      expect(libraries.some((l) => l.includes("ld-linux"))).toBe(true);
      for (const lib of libraries) {
        mkdirSync(join(root, dirname(lib)), { recursive: true });
        copyFileSync(lib, join(root, lib));
      }
      // A writable data directory owned by the unprivileged user the image runs as.
      mkdirSync(join(root, "data"), { mode: 0o700 });
      Bun.spawnSync(["chown", "65532:65532", join(root, "data")]);
      mkdirSync(join(root, "proc"));
      const mount = Bun.spawnSync(
        [Bun.which("mount") ?? "/usr/bin/mount", "-t", "proc", "proc", join(root, "proc")],
        { stderr: "pipe" },
      );
      if (mount.exitCode !== 0) throw new Error(`mount -t proc failed: ${mount.stderr.toString()}`);
      mounted = true;

      // Nothing but those files (and the mounted /proc) is in the root.
      const listing = Bun.spawnSync([
        "find",
        root,
        "-path",
        join(root, "proc"),
        "-prune",
        "-o",
        "-type",
        "f",
        "-print",
      ]);
      const files = listing.stdout.toString().trim().split("\n").sort();
      expect(files).toEqual([join(root, "authmcp-gateway"), ...libraries.map((l) => join(root, l))].sort());

      const port = freePort();
      await smoke(
        {
          prefix: [
            Bun.which("chroot") ?? "/usr/sbin/chroot",
            "--userspec=65532:65532",
            root,
            "/authmcp-gateway",
          ],
          cwd: "/",
          env: { AUTH_SQLITE_PATH: "/data/users.db", PORT: String(port), HOST: "127.0.0.1" },
        },
        port,
      );
      expect(readdirSync(join(root, "data"))).toContain("users.db");
    } finally {
      if (mounted) Bun.spawnSync(["umount", join(root, "proc")]);
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
