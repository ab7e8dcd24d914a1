import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import type { Logger } from "../../logger.ts";
import { adminConnection } from "./servers-test.ts";

/** A tool as its backend lists it, with whether the admin's own grant allows it. */
export interface ListedTool {
  name: string;
  title: string;
  description: string;
  inputSchema: unknown;
  /** False when the admin's grant on this server leaves the tool out (a call shows the refusal). */
  allowedForYou: boolean;
}

export type ToolListing = { ok: true; tools: ListedTool[] } | { ok: false; error: string };

const text = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * The server's tools from the gateway's catalog (the cache the aggregated endpoint shares: a warm
 * entry asks the backend nothing; a cold one is fetched, all pages, on a connection as the admin,
 * and cached as a client's list would be). Every tool the backend lists is in it, also those the
 * gateway would refuse the admin (tool pinning), so the page can show what a call of one answers.
 */
export async function listServerTools(
  gateway: Gateway,
  logger: Logger,
  server: McpServer,
  admin: { id: string; allowed: ((tool: string) => boolean) | undefined },
): Promise<ToolListing> {
  const connection = adminConnection(gateway, logger, server, admin.id);
  try {
    const listed = await gateway.aggregate.catalogs.tools.items(connection);
    const tools = listed.items.map((item): ListedTool => {
      // The catalog keeps the aggregated names: the backend's own is what /mcp/{server} takes.
      const name = listed.byExposedName.get(item.name) ?? item.name;
      return {
        name,
        title: text(item.title),
        description: text(item.description),
        inputSchema: item.inputSchema,
        allowedForYou: admin.allowed === undefined || admin.allowed(name),
      };
    });
    return { ok: true, tools };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await connection.close();
  }
}
