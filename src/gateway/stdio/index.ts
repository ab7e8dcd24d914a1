import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpServer } from "../types.ts";
import type { StdioProcessPool } from "./pool.ts";
import { StdioSessionTransport } from "./transport.ts";

export { StdioBridge, type StdioCall } from "./bridge.ts";
export { StdioUnavailable } from "./channel.ts";
export { type StdioProcessMode, StdioProcessPool } from "./pool.ts";

/**
 * An MCP SDK client `Transport` onto stdio server `server` for the client session `sessionKey`
 * (the gateway's `stdio` pool: `gateway.stdio`). In shared mode every key uses the server's one
 * process; in session mode each key has its own, stopped when the transport closes.
 */
export function stdioClientTransport(
  pool: StdioProcessPool,
  server: McpServer,
  sessionKey: string,
): Transport {
  return new StdioSessionTransport(pool, server, sessionKey);
}
