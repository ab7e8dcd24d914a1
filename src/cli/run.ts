import { UsageError } from "./args.ts";
import type { CliIo } from "./command.ts";
import { COMMANDS, USAGE } from "./commands.ts";

const HELP = new Set(["--help", "-h", "help"]);
const VERSION = new Set(["--version", "-v"]);

/** Runs the command named by argv (without the executable) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  if (HELP.has(first)) {
    if (rest.length === 0) {
      io.stdout(USAGE);
      return 0;
    }
    // `help start` is `start --help`; anything else is a usage error.
    const named = rest.length === 1 ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (named) {
      io.stdout(named.usage);
      return 0;
    }
    io.stderr(`authmcp-gateway: unexpected argument after ${first}: ${rest.join(" ")}\n\n${USAGE}`);
    return 2;
  }
  // `--version` is the `version` command, with the same checks of what follows it.
  const name = VERSION.has(first) ? "version" : first;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`authmcp-gateway: unknown command: ${first}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`authmcp-gateway ${command.name}: ${error.message}\n\n${command.usage}`);
    return 2;
  }
}
