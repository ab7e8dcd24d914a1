import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  ClientCapabilities,
  LoggingLevel,
  ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { randomToken } from "../../crypto/random.ts";
import type { McpServer } from "../types.ts";
import type { Caller } from "../user-context.ts";
import { BackendConnection, type BackendConnectionDeps } from "./backend-connection.ts";

export type ConnectionDeps = Omit<
  BackendConnectionDeps,
  "headers" | "onNotification" | "loggingLevel" | "relay" | "stdioTransport"
> & {
  /** A transport onto a stdio server's process for the client session `sessionKey`. */
  stdioTransport: (server: McpServer, sessionKey: string) => Transport;
  /** The headers of one request to a backend for this caller. */
  headers: (server: McpServer, caller: Caller) => Record<string, string> | Promise<Record<string, string>>;
};

/** One client session's backend connections, one per server, each opened on first use. */
export class BackendConnections {
  private readonly connections = new Map<string, BackendConnection>();
  private readonly deps: BackendConnectionDeps;
  /** This client session's key towards stdio servers (one process each in per-session mode). */
  private readonly key = randomToken(12);
  /** Where the backends' logging messages and resource updates go (the client session). */
  onNotification: (server: McpServer, notification: ServerNotification) => void = () => {};
  /** The logging level the client set (`logging/setLevel`), for backends connected later. */
  loggingLevel: LoggingLevel | undefined;
  /** Where backends' requests to the client go (the client session). */
  relay: BackendConnectionDeps["relay"] = () => Promise.reject(new Error("no client session"));

  constructor(
    /** Who calls now: refreshed from each request's token (scopes, user state). */
    public caller: Caller,
    deps: ConnectionDeps,
  ) {
    this.deps = {
      ...deps,
      headers: (server) => deps.headers(server, this.caller),
      stdioTransport: (server) => deps.stdioTransport(server, this.key),
      onNotification: (server, notification) => this.onNotification(server, notification),
      loggingLevel: () => this.loggingLevel,
      relay: (server, request) => this.relay(server, request),
    };
  }

  /** What the client declared at initialize (sampling, elicitation, roots …). */
  get clientCapabilities(): ClientCapabilities {
    return this.deps.clientCapabilities;
  }

  /** The connection to a server, created (not yet opened) on first use. */
  get(server: McpServer): BackendConnection {
    const current = this.connections.get(server.id);
    if (current && current.server === server) return current;
    if (current) void current.close(); // the server changed since: its URL or credential may differ
    const created = new BackendConnection(server, this.deps);
    this.connections.set(server.id, created);
    return created;
  }

  /** The connections created so far. */
  all(): BackendConnection[] {
    return [...this.connections.values()];
  }

  /** Closes the connection to a server that changed or went away. */
  drop(serverId: string): void {
    const current = this.connections.get(serverId);
    if (!current) return;
    this.connections.delete(serverId);
    void current.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((connection) => connection.close()));
  }
}
