import { ListToolsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { BackendConnection } from "../../gateway/aggregate/backend-connection.ts";
import type { Gateway } from "../../gateway/module.ts";
import { stdioClientTransport } from "../../gateway/stdio/index.ts";
import type { McpServer } from "../../gateway/types.ts";
import type { Logger } from "../../logger.ts";

export interface TestedTool {
  name: string;
  description: string;
}

export type ConnectionTest =
  | { ok: true; tools: TestedTool[]; more: boolean; latencyMs: number }
  | { ok: false; error: string; latencyMs: number };

/**
 * A connection to the backend as an administrator meets it, through the connection code the
 * aggregated endpoint uses: the backend's own credential (as the admin for a per-person upstream
 * token), the backend address guard, no redirects followed, and the server's own timeout. It
 * answers no backend requests (sampling, elicitation). Close it when done.
 */
export function adminConnection(
  gateway: Gateway,
  logger: Logger,
  server: McpServer,
  adminId: string,
): BackendConnection {
  return new BackendConnection(server, {
    addressGuard: gateway.addressGuard,
    logger,
    headers: (target) => gateway.backendAuth.headers(target.id, adminId),
    onListChanged: () => {},
    onNotification: () => {},
    loggingLevel: () => undefined,
    clientCapabilities: {},
    stdioTransport: (target) => stdioClientTransport(gateway.stdio, target, `admin-${crypto.randomUUID()}`),
    relay: () => Promise.reject(new Error("the admin's connection answers no backend requests")),
  });
}

/**
 * "Test connection": initialize then `tools/list` (the first page) against the backend, through
 * the connection code the aggregated endpoint uses, so the test meets what clients meet: the
 * backend's own credential (as the admin for a per-person upstream token), the backend address
 * guard, no redirects followed, and the server's own timeout. The session is closed afterwards.
 */
export async function testServerConnection(
  gateway: Gateway,
  logger: Logger,
  server: McpServer,
  adminId: string,
): Promise<ConnectionTest> {
  const started = performance.now();
  const connection = adminConnection(gateway, logger, server, adminId);
  try {
    const listed = await connection.request({ method: "tools/list", params: {} }, ListToolsResultSchema);
    return {
      ok: true,
      tools: listed.tools.map((tool) => ({ name: tool.name, description: tool.description ?? "" })),
      more: typeof listed.nextCursor === "string" && listed.nextCursor !== "",
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      latencyMs: Math.round(performance.now() - started),
    };
  } finally {
    await connection.close();
  }
}
