import { createApp } from "../app.ts";
import { createContext } from "../context.ts";
import { IDLE_TIMEOUT_SECONDS } from "../http/idle-timeout.ts";
import { serveHandlers } from "../http/serve.ts";
import { SetupCode } from "../web/setup-code.ts";
import { parseFlags } from "./args.ts";
import type { Command } from "./command.ts";
import { CONFIG_EXIT, CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFromFlags } from "./config-flags.ts";

const PRUNE_INTERVAL_MS = 10 * 60_000;

export const startCommand: Command = {
  name: "start",
  summary: "run the gateway",
  usage: `Usage: authmcp-gateway start [--port N] [--host H] [--env-file FILE] [--config FILE]

Runs the gateway: applies pending database migrations, generates missing secrets in the data
directory, checks the backend servers' health periodically, and serves HTTP until SIGINT or SIGTERM.
While no administrator exists it logs the /setup URL with a one-time setup code (also written to the
file setup-code in the data directory); the wizard asks for it.

Options:
  --port N          TCP port (overrides PORT)
  --host H          listen address (overrides HOST)
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const flags = parseFlags(argv, { values: ["port", "host", ...CONFIG_FLAGS] });
    if (flags.help) {
      io.stdout(this.usage);
      return 0;
    }
    const loaded = configFromFlags(flags, io);
    if (!loaded) return CONFIG_EXIT;
    const { config, warnings } = loaded;
    const ctx = await createContext(config);
    for (const warning of warnings) ctx.logger.warn(warning);

    const prune = setInterval(() => {
      try {
        ctx.revocations.prune();
        ctx.browserSessions.prune();
      } catch (error) {
        ctx.logger.error({ err: error }, "pruning expired rows failed");
      }
    }, PRUNE_INTERVAL_MS);
    ctx.onClose(() => clearInterval(prune));

    const app = createApp(ctx);
    let server: ReturnType<typeof Bun.serve>;
    try {
      server = Bun.serve({
        hostname: config.host,
        port: config.port,
        maxRequestBodySize: config.maxBodyBytes,
        idleTimeout: IDLE_TIMEOUT_SECONDS,
        // A second gateway on the same port must fail, not silently share it (SO_REUSEPORT).
        reusePort: false,
        // Never Bun's development error pages, whatever NODE_ENV says.
        development: false,
        ...serveHandlers(app, ctx),
      });
    } catch (error) {
      // One line that says what to do, not a stack trace: the cause is the machine, not the gateway.
      ctx.logger.error({ err: listenProblem(error) }, listenFailure(error, config.host, config.port));
      await ctx.close();
      return 1;
    }
    // Elysia handlers read the server from here (client IP for rate limits); app.stop() stops it.
    app.server = server;
    const port = server.port ?? config.port;
    ctx.logger.info(
      { host: config.host, port, publicUrl: config.publicUrl, dataDir: config.dataDir },
      `listening on http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port} (public URL ${config.publicUrl})`,
    );
    if (!ctx.users.hasAdmin()) {
      // createApp wrote a fresh code (src/web/setup-routes.ts); the person at the console reads it here.
      const setupCode = new SetupCode(config.dataDir);
      const code = setupCode.current() ?? setupCode.issue();
      ctx.logger.info(
        { setupCodeFile: setupCode.path },
        `no admin yet: open ${config.publicUrl}/setup and enter the setup code ${code} (also in ${setupCode.path}), or run create-admin`,
      );
    }
    // Backend health (initialize + ping every MCP_HEALTH_CHECK_INTERVAL_MS); stopped by ctx.close().
    app.decorator.gateway.startHealthChecks();
    // Activity rows flushed every ACTIVITY_FLUSH_INTERVAL_MS, retention cleanup now and periodically.
    app.decorator.activity.start();

    const signal = await io.untilSignal();
    ctx.logger.info({ signal }, "stopping");
    // Open activity streams never end by themselves and app.stop() waits for every open request.
    app.decorator.activity.streams.closeAll();
    ctx.logs.streams.closeAll();
    await app.stop();
    await ctx.close();
    return 0;
  },
};

/** The listen error's code and message, without its stack. */
function listenProblem(error: unknown): { code?: string; message: string } {
  const { code } = error as { code?: unknown };
  return {
    ...(typeof code === "string" ? { code } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}

/** What went wrong when listening, in words a person acts on. */
export function listenFailure(error: unknown, host: string, port: number): string {
  switch ((error as { code?: unknown }).code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use`;
    case "EACCES":
      return `port ${port} on ${host}: permission denied (ports below 1024 need privileges)`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${host}: no such address on this machine`;
    default:
      return `cannot listen on ${host}:${port}: ${listenProblem(error).message}`;
  }
}
