import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { JsonRpcMessage } from "../legacy-sse/messages.ts";
import type { McpServer } from "../types.ts";
import type { ChannelClient, StdioChannel } from "./channel.ts";
import type { StdioProcessPool } from "./pool.ts";

/**
 * An MCP SDK client transport onto a stdio server's process, for one client session (`sessionKey`):
 * what the aggregated endpoint uses to speak to stdio servers. `send` rejects with
 * StdioUnavailable while the process cannot run (with `retryAfterMs` during a restart backoff).
 */
export class StdioSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private channel: StdioChannel | undefined;
  private readonly client: ChannelClient;
  private done = false;

  constructor(
    private readonly pool: StdioProcessPool,
    private readonly server: McpServer,
    sessionKey: string,
  ) {
    this.client = {
      key: sessionKey,
      // The channel hands over parsed JSON-RPC 2.0 messages; the SDK validates them again.
      deliver: (message) => this.onmessage?.(message as JSONRPCMessage),
      closed: () => this.finish(),
    };
  }

  async start(): Promise<void> {
    if (this.channel) throw new Error("StdioSessionTransport already started");
    this.channel = this.pool.open(this.server, this.client);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.channel || this.done) throw new Error("StdioSessionTransport is not connected");
    await this.channel.send(this.client, message as JsonRpcMessage);
  }

  async close(): Promise<void> {
    if (this.channel && !this.done) await this.pool.release(this.channel, this.client);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onclose?.();
  }
}
