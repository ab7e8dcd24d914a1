import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import { type AppContext, createContext } from "../../src/context.ts";
import { FakeClock } from "./clock.ts";

export interface TestGateway {
  ctx: AppContext;
  app: ReturnType<typeof createApp>;
  clock: FakeClock;
  dir: string;
  /** Every log line written so far, as raw JSON text. */
  logs: string[];
  /** `app.handle` with a path relative to the public URL. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function tempDir(prefix = "authmcp-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A gateway on a real SQLite file in a fresh temporary directory, a fake clock and captured logs. */
export async function testGateway(
  env: Record<string, string> = {},
  options: {
    dir?: string;
    clock?: FakeClock;
    keepDir?: boolean;
    configFile?: string;
    resolveHost?: (host: string) => Promise<string[]>;
  } = {},
): Promise<TestGateway> {
  const dir = options.dir ?? tempDir();
  const { config } = loadConfig({
    env: {
      AUTH_SQLITE_PATH: join(dir, "users.db"),
      // Tests of other features sign in and call far more often than a person would.
      RATE_LIMIT_LOGIN_MAX: "100000",
      RATE_LIMIT_REGISTER_MAX: "100000",
      RATE_LIMIT_TOKEN_MAX: "100000",
      RATE_LIMIT_CLIENT_REGISTRATION_MAX: "100000",
      RATE_LIMIT_AUTHORIZE_MAX: "100000",
      RATE_LIMIT_MCP_MAX: "100000",
      LOG_LEVEL: "info",
      ...env,
    },
    cwd: dir,
    cli: options.configFile ? { configFile: options.configFile } : undefined,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const clock = options.clock ?? new FakeClock();
  const ctx = await createContext(config, {
    clock,
    // The same logger as `start` (the in-memory ring and LOG_DIR's files too), writing to `logs`.
    logDestination: sink,
    resolveHost: options.resolveHost,
  });
  const app = createApp(ctx);
  return {
    ctx,
    app,
    clock,
    dir,
    logs,
    request: (path, init) => app.handle(new Request(new URL(path, config.publicUrl), init)),
    close: async () => {
      await ctx.close();
      if (!options.keepDir && !options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const STRONG_PASSWORD = "Correct-Horse-9";

export function jsonInit(body: unknown, init: RequestInit = {}): RequestInit {
  return {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: JSON.stringify(body),
  };
}

/** Creates a user directly through the service. */
export async function createUser(
  gateway: TestGateway,
  username: string,
  options: { isAdmin?: boolean; password?: string } = {},
) {
  const result = await gateway.ctx.users.create({
    username,
    email: `${username}@example.test`,
    password: options.password ?? STRONG_PASSWORD,
    isAdmin: options.isAdmin,
  });
  if (!result.ok) throw new Error(result.message);
  return result.user;
}

export async function login(gateway: TestGateway, username: string, extra: Record<string, unknown> = {}) {
  const response = await gateway.request(
    "/auth/login",
    jsonInit({ username, password: STRONG_PASSWORD, ...extra }),
  );
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string; expires_in: number };
}
