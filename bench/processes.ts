// Processes of the benchmark: spawning a target that announces itself on stdout, the built
// gateway set up through its own CLI and admin API, and CPU time read from /proc.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor } from "../test/executable/helpers.ts";

export interface Spawned {
  pid: number;
  /** Where it listens. */
  url: string;
  stop(): Promise<void>;
}

/** Starts `argv` and waits for the JSON line (`{"url": …}`) it prints once it listens. */
export async function spawnAnnounced(argv: string[], cwd: string): Promise<Spawned> {
  const proc = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${argv.join(" ")} exited before announcing itself`);
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  const announced = JSON.parse(text.slice(0, text.indexOf("\n"))) as { url: string };
  return {
    pid: proc.pid,
    url: announced.url,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** CPU time (user + system, all threads) a process has used so far, in µs. */
export function cpuMicros(pid: number): number {
  return statMicros(`/proc/${pid}/stat`);
}

/** CPU time (user + system) so far of a process or thread, from its `/proc/…/stat` file, in µs. */
export function statMicros(statFile: string): number {
  const stat = readFileSync(statFile, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}
// sysconf(_SC_CLK_TCK): 100 on every Linux this runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/** Moves every thread of `pid` onto CPU `cpu` (taskset), for benches run with --pin. */
export function pinToCpu(cpu: number, pid: number): void {
  Bun.spawnSync(["taskset", "-a", "-cp", String(cpu), String(pid)], { stdout: "ignore" });
}

export interface GatewayUnderTest extends Spawned {
  /** A user token for its `/mcp/bench`, the resource `url` names. */
  token: string;
}

const ADMIN = { username: "bench", email: "bench@example.test", password: "Bench-Passw0rd-9" };

/** The built executable started by `launchBuiltGateway`, with its admin's sign-in. */
export interface LaunchedGateway {
  pid: number;
  /** Its public URL (`http://127.0.0.1:{port}`). */
  base: string;
  /** The admin's access token from `/auth/login`, for `resource` when given. */
  login(resource?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The built executable as a user runs it: `create-admin`, then `start` in the empty directory
 * `dir` (SQLite in it), with rate limits far above what a run sends. `started` sees the pid as
 * soon as the process exists (before it answers).
 */
export async function launchBuiltGateway(
  binary: string,
  dir: string,
  started: (pid: number) => void = () => {},
  extraEnv: Record<string, string> = {},
): Promise<LaunchedGateway> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AUTH_SQLITE_PATH: join(dir, "gateway.db"),
    HOST: "127.0.0.1",
    PORT: String(port),
    MCP_PUBLIC_URL: base,
    LOG_LEVEL: "warn",
    // The bench measures the proxy, not its limits: far above what one run sends.
    RATE_LIMIT_LOGIN_MAX: "100000",
    RATE_LIMIT_MCP_MAX: "100000000",
    ...extraEnv,
  };
  const admin = Bun.spawn(
    [binary, "create-admin", "--username", ADMIN.username, "--email", ADMIN.email, "--password-stdin"],
    { cwd: dir, env, stdin: new Blob([`${ADMIN.password}\n`]), stdout: "ignore", stderr: "inherit" },
  );
  if ((await admin.exited) !== 0) throw new Error("create-admin failed");
  const proc = Bun.spawn([binary, "start"], { cwd: dir, env, stdout: "ignore", stderr: "inherit" });
  started(proc.pid);
  await waitFor(`${base}/healthz`, () => "the built gateway (its stderr is above)");
  const login = async (resource?: string) => {
    const response = await fetch(`${base}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password, resource }),
    });
    if (!response.ok) throw new Error(`login failed: ${response.status}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return {
    pid: proc.pid,
    base,
    login,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/**
 * `launchBuiltGateway`, the backend registered through the admin API as server `bench`, and a
 * token for `{public}/mcp/bench` from `/auth/login`.
 */
export async function startBuiltGateway(
  binary: string,
  dir: string,
  backendUrl: string,
  extraEnv: Record<string, string> = {},
) {
  const { pid, base, login, stop } = await launchBuiltGateway(binary, dir, () => {}, extraEnv);
  const created = await fetch(`${base}/admin/api/mcp-servers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await login()}` },
    body: JSON.stringify({ name: "bench", display_name: "Bench", url: backendUrl }),
  });
  if (!created.ok)
    throw new Error(`registering the backend failed: ${created.status} ${await created.text()}`);
  return {
    pid,
    url: `${base}/mcp/bench`,
    token: await login(`${base}/mcp/bench`),
    stop,
  } satisfies GatewayUnderTest;
}
