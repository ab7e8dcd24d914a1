// Entry of the executable: parses argv, runs one command from src/cli/ and exits with its status.
// It exports nothing (a requirement of `bun build --compile --bytecode`).
import { runCli } from "./cli/run.ts";
import { processIo } from "./cli/terminal.ts";

const io = processIo(process.env);
try {
  const status = await runCli(process.argv.slice(2), io);
  // Let pino's asynchronous stdout writes drain before leaving.
  await new Promise((resolve) => setImmediate(resolve));
  process.exit(status);
} catch (error) {
  io.stderr(`authmcp-gateway: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
