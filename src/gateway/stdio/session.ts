import type { JsonRpcMessage } from "../legacy-sse/messages.ts";
import { LegacySession, type SessionUpstream } from "../legacy-sse/session.ts";
import type { McpServer } from "../types.ts";
import type { ChannelClient, StdioChannel } from "./channel.ts";
import type { StdioProcessPool } from "./pool.ts";

/** A LegacySession's backend side on a stdio channel: what it posts goes to the process. */
class ChannelUpstream implements SessionUpstream {
  constructor(
    private readonly pool: StdioProcessPool,
    private readonly channel: StdioChannel,
    private readonly client: ChannelClient,
  ) {}

  post(message: JsonRpcMessage): Promise<void> {
    return this.channel.send(this.client, message);
  }

  close(): void {
    void this.pool.release(this.channel, this.client);
  }
}

/**
 * A client-facing session on a stdio server. The routing of answers, progress and other messages
 * to the streams of a Streamable HTTP client is the legacy bridge's (LegacySession): a stdio
 * process, like a legacy SSE backend, sends everything on one channel.
 */
export function openStdioSession(
  pool: StdioProcessPool,
  server: McpServer,
  session: { id: string; owner: string; maxBacklog: number; now: number },
  onClosed: (session: LegacySession, reason: string) => void,
): LegacySession {
  const legacy = new LegacySession(
    session.id,
    server.id,
    server.name,
    session.owner,
    session.maxBacklog,
    session.now,
  );
  const client: ChannelClient = {
    key: session.id,
    deliver: (message) => legacy.deliver(message),
    closed: (reason) => onClosed(legacy, reason),
  };
  legacy.attach(new ChannelUpstream(pool, pool.open(server, client), client));
  return legacy;
}
