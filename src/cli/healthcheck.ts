import { parseFlags } from "./args.ts";
import type { Command } from "./command.ts";
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFromFlags } from "./config-flags.ts";

const TIMEOUT_MS = 3000;

/** The address to probe: the listen address, or loopback when the gateway listens on every address. */
export function probeHost(host: string): string {
  if (host === "" || host === "0.0.0.0" || host === "::" || host === "[::]") return "127.0.0.1";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export const healthcheckCommand: Command = {
  name: "healthcheck",
  summary: "exit 0 when the local gateway answers /healthz, 1 otherwise",
  usage: `Usage: authmcp-gateway healthcheck [--port N] [--host H] [--env-file FILE] [--config FILE]

Sends GET /healthz to the gateway on this machine (the configured port; 127.0.0.1 when it listens
on every address) and exits 0 when it answers 200 within ${TIMEOUT_MS / 1000} s, 1 otherwise. Needs no shell
or curl: it is the HEALTHCHECK of the container image. An invalid configuration also exits 1
(Docker reserves exit status 2 of a health check); an unknown option exits 2 like every command.

Options:
  --port N          port to probe (overrides PORT)
  --host H          address to probe (overrides HOST)
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
    // Docker reads a health check's exit status 2 as "reserved": unhealthy is 1, whatever the cause.
    if (!loaded) return 1;
    const url = `http://${probeHost(loaded.config.host)}:${loaded.config.port}/healthz`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
      await response.body?.cancel();
      if (response.status === 200) {
        io.stdout(`ok: ${url}\n`);
        return 0;
      }
      io.stderr(`unhealthy: ${url} answered ${response.status}\n`);
      return 1;
    } catch (error) {
      io.stderr(`unhealthy: ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  },
};
