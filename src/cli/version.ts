import pkg from "../../package.json" with { type: "json" };
import { parseFlags } from "./args.ts";
import type { Command } from "./command.ts";

export const VERSION: string = pkg.version;

export const versionCommand: Command = {
  name: "version",
  summary: "print the version",
  usage: `Usage: authmcp-gateway version
       authmcp-gateway --version

Prints the gateway's version and the Bun version it runs on.
`,
  async run(argv, io) {
    const flags = parseFlags(argv, {});
    if (flags.help) {
      io.stdout(this.usage);
      return 0;
    }
    io.stdout(`authmcp-gateway ${VERSION} (bun ${Bun.version})\n`);
    return 0;
  },
};
