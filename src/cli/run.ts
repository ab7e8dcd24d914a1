import { UsageError } from "./args.ts";
import type { CliIo } from "./command.ts";
import { COMMANDS, USAGE } from "./commands.ts";
import { versionCommand } from "./version.ts";

/** Runs the command named by argv (without the executable) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (name === "--version" || name === "-v") return versionCommand.run(rest, io);
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`authmcp-gateway: unknown command: ${name}\n\n${USAGE}`);
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
