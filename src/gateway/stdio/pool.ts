import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { ServerRegistry } from "../registry.ts";
import type { McpServer } from "../types.ts";
import { type ChannelClient, StdioChannel } from "./channel.ts";
import type { ProcessLimits } from "./process.ts";

export type StdioProcessMode = "shared" | "session";

export interface PoolOptions {
  mode: StdioProcessMode;
  limits: ProcessLimits;
  backoffMs: number;
  backoffMaxMs: number;
}

/**
 * The processes of stdio servers: one per server (shared mode) or one per client session (session
 * mode), keyed by the client-session key the caller gives (the bridge's session id, the aggregated
 * endpoint's own). Stopped when their server changes or is removed and when the gateway closes.
 *
 * Why shared is the default: most stdio servers are written for one desktop client and hold no
 * per-client state, while each process costs tens of megabytes; session mode is there for servers
 * that keep state per connection or ask the client for sampling, elicitation or roots.
 */
export class StdioProcessPool {
  private readonly channels = new Map<string, StdioChannel>();

  constructor(
    private readonly registry: ServerRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: PoolOptions,
  ) {}

  get mode(): StdioProcessMode {
    return this.options.mode;
  }

  /** Attaches `client` to the channel of `server` for its session key (made when missing). */
  open(server: McpServer, client: ChannelClient): StdioChannel {
    const shared = this.options.mode === "shared";
    const key = shared ? server.id : `${server.id}\n${client.key}`;
    let channel = this.channels.get(key);
    if (!channel) {
      channel = new StdioChannel(
        server,
        {
          clock: this.clock,
          logger: this.logger,
          // Not the gateway's own environment (it holds its secrets): the variables a command
          // needs to run, as the SDK's stdio client passes them, plus the server's own.
          environment: async () => ({
            ...getDefaultEnvironment(),
            ...(await this.registry.stdioEnv(server.id)),
          }),
        },
        {
          shared,
          limits: this.options.limits,
          backoffMs: this.options.backoffMs,
          backoffMaxMs: this.options.backoffMaxMs,
        },
      );
      this.channels.set(key, channel);
    }
    channel.attach(client);
    return channel;
  }

  /** Detaches `client`; in session mode its process is stopped with it. */
  release(channel: StdioChannel, client: ChannelClient): Promise<void> {
    channel.detach(client);
    if (this.options.mode === "shared" || channel.clientCount > 0) return Promise.resolve();
    for (const [key, candidate] of this.channels) {
      if (candidate === channel) this.channels.delete(key);
    }
    return channel.stop("the session ended");
  }

  /** Stops every process of a server (it was changed, disabled or removed). */
  async stopServer(serverId: string, reason = "the server was changed"): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const [key, channel] of this.channels) {
      if (channel.server.id !== serverId) continue;
      this.channels.delete(key);
      stopping.push(channel.stop(reason));
    }
    await Promise.all(stopping);
  }

  /** Stops every process (the gateway is closing); resolves once they are gone. */
  async closeAll(): Promise<void> {
    const all = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(all.map((channel) => channel.stop("the gateway is stopping")));
  }

  /** Ids of the running processes of a server. */
  pids(serverId: string): number[] {
    const pids: number[] = [];
    for (const channel of this.channels.values()) {
      if (channel.server.id === serverId && channel.pid !== undefined) pids.push(channel.pid);
    }
    return pids;
  }
}
