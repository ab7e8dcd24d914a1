// Running the CLI as a user does: `bun src/main.ts <command>` from the repository root, with an
// empty --env-file so a developer's .env cannot change the outcome.

import { join } from "node:path";
import { collect, freePort, ROOT, runToEnd, waitFor } from "../executable/helpers.ts";

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** Runs a command to its end. */
export async function runCommand(
  args: string[],
  env: Record<string, string>,
  emptyEnvFile: string,
  stdin?: string,
) {
  return runToEnd([process.execPath, "src/main.ts", ...args, "--env-file", emptyEnvFile], {
    cwd: ROOT,
    env,
    stdin,
  });
}

/** `start` as a user runs it, with its data in `dataDir`; stopped with SIGTERM by stop(). */
export async function spawnGateway(
  dataDir: string,
  emptyEnvFile: string,
  extraEnv: Record<string, string> = {},
) {
  const port = freePort();
  const env = {
    AUTH_SQLITE_PATH: join(dataDir, "users.db"),
    PORT: String(port),
    HOST: "127.0.0.1",
    ...extraEnv,
  };
  const proc = Bun.spawn([process.execPath, "src/main.ts", "start", "--env-file", emptyEnvFile], {
    cwd: ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = collect(proc.stdout);
  const err = collect(proc.stderr);
  const base = `http://127.0.0.1:${port}`;
  const lines = (): LogLine[] =>
    out
      .text()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogLine);
  await waitFor(`${base}/healthz`, () => `${out.text()}\n${err.text()}`);
  return {
    base,
    env,
    port,
    dataDir,
    lines,
    /** Waits (bounded) for a log line; log lines may reach the pipe a moment after the port answers. */
    async logLine(match: (line: LogLine) => boolean): Promise<LogLine> {
      for (let i = 0; i < 300; i++) {
        const found = lines().find(match);
        if (found) return found;
        await Bun.sleep(20);
      }
      throw new Error(`no such log line in:\n${out.text()}`);
    },
    async stop(): Promise<number> {
      proc.kill("SIGTERM");
      const code = await proc.exited;
      await Promise.all([out.done, err.done]);
      return code;
    },
  };
}

/** Polls `check` until it returns a value, for at most ~20 s (no timing assertion: only a bound). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error(`never: ${what}`);
}
