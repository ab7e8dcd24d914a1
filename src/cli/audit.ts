import { auditServer } from "../audit/scan/audit.ts";
import { auditOptions } from "../audit/scan/options.ts";
import { hasCritical, textReport } from "../audit/scan/text-report.ts";
import { BackendAddressGuard, backendUrlShapeProblem } from "../gateway/url-guard.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { CONFIG_EXIT, CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFromFlags } from "./config-flags.ts";

export const auditCommand: Command = {
  name: "audit",
  summary:
    "audit an MCP server URL (authentication, discovery, transport, tool poisoning); exit 1 on a critical finding",
  usage: `Usage: authmcp-gateway audit URL [--token T | --token-stdin] [--json] [--env-file FILE] [--config FILE]

Sends an MCP server a few dozen requests (initialize, tools/list and tools/call without a token,
with a malformed and with forged tokens, with the given token; its OAuth metadata; a foreign
Origin; CORS; error answers) and checks its tool definitions for hidden instructions. Prints each
finding with its id, severity, evidence (secrets masked) and what to do about it, and a grade.

Exit status: 0 without a critical finding, 1 with one (usable in CI), 2 for bad usage.
The URL, and every URL the server's metadata points to, go through the same address guard as
backend URLs (MCP_BACKEND_ALLOWED_NETWORKS). Limits: AUDIT_REQUEST_TIMEOUT_MS,
AUDIT_MAX_RESPONSE_BYTES, AUDIT_DESCRIPTION_MAX_CHARS.

Options:
  --token T         a bearer token the server accepts: its tools are listed and checked
  --token-stdin     read that token from standard input (keeps it out of the process list)
  --json            print the report as JSON (the same as POST /admin/api/audit)
${CONFIG_FLAGS_HELP}
  --help            show this help
`,
  async run(argv, io) {
    const first = argv[0];
    const url = first !== undefined && !first.startsWith("-") ? first : undefined;
    const rest = url === undefined ? argv : argv.slice(1);
    const flags = parseFlags(rest, { values: ["token", ...CONFIG_FLAGS], switches: ["json", "token-stdin"] });
    if (flags.help) {
      io.stdout(this.usage);
      return 0;
    }
    if (url === undefined) throw new UsageError("audit needs the URL of an MCP server");
    const shape = backendUrlShapeProblem(url);
    if (shape) throw new UsageError(`URL: ${shape}`);
    const loaded = configFromFlags(flags, io);
    if (!loaded) return CONFIG_EXIT;
    const { config } = loaded;
    let token = flags.values.get("token");
    if (flags.switches.has("token-stdin")) {
      if (token !== undefined) throw new UsageError("give --token or --token-stdin, not both");
      token = (await io.stdin.text()).trim() || undefined;
    }
    const guard = new BackendAddressGuard(config.backendAllowedNetworks, () => Date.now());
    const report = await auditServer(url, auditOptions(config, guard, { token }));
    io.stdout(flags.switches.has("json") ? `${JSON.stringify(report, null, 2)}\n` : textReport(report));
    return hasCritical(report) ? 1 : 0;
  },
};
