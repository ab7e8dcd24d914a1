import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { BackendConnections } from "./connections.ts";
import { errorText } from "./routing.ts";

/**
 * What each backend offers, learnt when a connection to it opens and kept until the server
 * changes: a client's initialize asks a backend only the first time.
 */
export class CapabilityCache {
  private readonly offered = new Map<string, ServerCapabilities>();

  constructor(private readonly logger: Logger) {}

  /** What the backend offered when last connected (undefined: not learnt yet). */
  known(serverId: string): ServerCapabilities | undefined {
    return this.offered.get(serverId);
  }

  invalidate(serverId: string): void {
    this.offered.delete(serverId);
  }

  /**
   * The gateway's capabilities for a client: tools always (the gateway's own list changes with its
   * servers); prompts, resources (subscribe when one offers it), completions and logging when one
   * of the client's servers offers them. A backend that cannot be reached adds
   * nothing (its tools are still routed once it answers).
   */
  async union(servers: McpServer[], connections: BackendConnections): Promise<ServerCapabilities> {
    const all = await Promise.all(servers.map((server) => this.of(server, connections)));
    const capabilities: ServerCapabilities = { tools: { listChanged: true } };
    if (all.some((one) => one?.prompts)) capabilities.prompts = { listChanged: true };
    if (all.some((one) => one?.resources)) {
      const subscribe = all.some((one) => one?.resources?.subscribe === true);
      capabilities.resources = subscribe ? { subscribe, listChanged: true } : { listChanged: true };
    }
    if (all.some((one) => one?.completions)) capabilities.completions = {};
    if (all.some((one) => one?.logging)) capabilities.logging = {};
    return capabilities;
  }

  private async of(
    server: McpServer,
    connections: BackendConnections,
  ): Promise<ServerCapabilities | undefined> {
    const known = this.offered.get(server.id);
    if (known) return known;
    try {
      const learnt = await connections.get(server).capabilities();
      if (learnt) this.offered.set(server.id, learnt);
      return learnt;
    } catch (error) {
      this.logger.warn(
        { server: server.name, err: errorText(error) },
        "aggregated initialize: backend unreachable",
      );
      return undefined;
    }
  }
}
