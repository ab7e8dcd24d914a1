import { stat } from "node:fs/promises";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { ServerInput } from "../../gateway/registry.ts";
import type { McpServer } from "../../gateway/types.ts";
import { jsonError } from "../../http/errors.ts";

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

/**
 * A 400 when the command cannot run: not found on the PATH the process gets (or not an executable
 * file), or a working directory that is not a directory. Checked on save so a typo shows at once.
 */
export async function commandProblem(input: Partial<ServerInput>): Promise<Response | undefined> {
  const stdio = input.stdio;
  if (!stdio) return undefined;
  if (stdio.cwd !== undefined) {
    const info = await stat(stdio.cwd).catch(() => undefined);
    if (!info?.isDirectory()) return jsonError(400, "invalid_request", "cwd: not a directory");
  }
  const path = stdio.env?.PATH ?? getDefaultEnvironment().PATH ?? "";
  if (Bun.which(stdio.command, { PATH: path, cwd: stdio.cwd }) === null) {
    return jsonError(400, "invalid_request", "command: not found or not executable");
  }
  return undefined;
}
