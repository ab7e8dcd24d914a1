import type { McpServer } from "../../gateway/types.ts";

/**
 * What a stdio server runs, in full, so an administrator sees the command before anyone uses it;
 * env values are write-only (shown masked, like credentials). Nothing for HTTP servers.
 */
export function stdioView(server: McpServer) {
  if (!server.stdio) return {};
  return {
    command: server.stdio.command,
    args: server.stdio.args,
    cwd: server.stdio.cwd ?? null,
    env: Object.fromEntries(server.stdio.envNames.map((name) => [name, "********"])),
  };
}
