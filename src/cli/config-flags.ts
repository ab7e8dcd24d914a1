import { type Config, ConfigError, loadConfig } from "../config/load.ts";
import { type ParsedFlags, parseFlags } from "./args.ts";
import type { CliIo } from "./command.ts";

/** Flags every command that reads the configuration accepts. */
export const CONFIG_FLAGS = ["env-file", "config"] as const;

export const CONFIG_FLAGS_HELP = `  --env-file FILE   read settings from FILE (default: .env in the working directory, when present)
  --config FILE     read settings from a YAML file (\${VAR} is replaced from the environment)`;

/** Loads the configuration; prints one line per problem and returns undefined when invalid. */
export function configFromFlags(
  flags: ParsedFlags,
  io: CliIo,
): { config: Config; warnings: string[] } | undefined {
  try {
    return loadConfig({
      env: io.env,
      cwd: io.cwd,
      cli: {
        port: flags.values.get("port"),
        host: flags.values.get("host"),
        envFile: flags.values.get("env-file"),
        configFile: flags.values.get("config"),
      },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr("authmcp-gateway: invalid configuration\n");
    for (const problem of error.problems) io.stderr(`${problem}\n`);
    return undefined;
  }
}

/** Exit status of an invalid configuration. */
export const CONFIG_EXIT = 2;

/**
 * The start of a command whose only flags are the configuration's: `--help` prints `usage` (exit
 * 0), an invalid configuration its problems (exit CONFIG_EXIT). Gives the configuration, or the
 * exit status to return.
 */
export function configOnly(argv: readonly string[], io: CliIo, usage: string): Config | number {
  const flags = parseFlags(argv, { values: CONFIG_FLAGS });
  if (flags.help) {
    io.stdout(usage);
    return 0;
  }
  return configFromFlags(flags, io)?.config ?? CONFIG_EXIT;
}
