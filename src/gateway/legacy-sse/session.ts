import {
  errorMessage,
  idKey,
  type JsonRpcId,
  type JsonRpcMessage,
  progressTokenOf,
  progressTokenOfNotification,
} from "./messages.ts";

/** The backend side of a session: a legacy HTTP+SSE connection, or a stdio process (src/gateway/stdio). */
export interface SessionUpstream {
  post(message: JsonRpcMessage, headers: Record<string, string>): Promise<void>;
  close(): void;
}

/** Where messages for a client go: an SSE response being written, or a waiting JSON response. */
export interface MessageSink {
  /** False for a JSON response: it can carry the answer only, nothing before it. */
  readonly streaming: boolean;
  send(message: JsonRpcMessage): void;
  /** Called once the request's own response was sent (or the session died). */
  end(): void;
}

interface Pending {
  id: JsonRpcId;
  sink: MessageSink;
  progressToken?: JsonRpcId;
}

/**
 * One client-facing session bridged onto one legacy backend connection. A response goes to the
 * stream of the request it answers; a progress notification to the stream of the request that
 * asked for it; anything else the server sends (logging, sampling, elicitation, list changes) to
 * the oldest request still streaming, else the client's GET stream, else into a bounded backlog
 * that the next GET stream receives first.
 */
export class LegacySession {
  private readonly pending = new Map<string, Pending>();
  private readonly byProgressToken = new Map<string, string>();
  private standalone: MessageSink | undefined;
  private backlog: JsonRpcMessage[] = [];
  private upstream: SessionUpstream | undefined;
  closed = false;
  lastUsed: number;

  constructor(
    readonly id: string,
    readonly serverId: string,
    readonly server: string,
    readonly owner: string,
    private readonly maxBacklog: number,
    now: number,
  ) {
    this.lastUsed = now;
  }

  attach(upstream: SessionUpstream): void {
    this.upstream = upstream;
  }

  hasPending(id: JsonRpcId): boolean {
    return this.pending.has(idKey(id));
  }

  /** Registers where the answer to request `message` goes; call before posting it upstream. */
  expect(message: JsonRpcMessage & { id: JsonRpcId }, sink: MessageSink): void {
    const key = idKey(message.id);
    const progressToken = progressTokenOf(message);
    this.pending.set(key, { id: message.id, sink, progressToken });
    if (progressToken !== undefined) this.byProgressToken.set(idKey(progressToken), key);
  }

  /** Forgets a request whose client went away or whose POST upstream failed. */
  forget(id: JsonRpcId): void {
    const key = idKey(id);
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    if (entry.progressToken !== undefined) this.byProgressToken.delete(idKey(entry.progressToken));
  }

  /** The client's GET stream; false when one is already open (one at a time). */
  openStandalone(sink: MessageSink): boolean {
    if (this.standalone) return false;
    this.standalone = sink;
    const queued = this.backlog;
    this.backlog = [];
    for (const message of queued) sink.send(message);
    return true;
  }

  closeStandalone(sink: MessageSink): void {
    if (this.standalone === sink) this.standalone = undefined;
  }

  post(message: JsonRpcMessage, headers: Record<string, string>): Promise<void> {
    if (!this.upstream) return Promise.reject(new Error("session is not connected"));
    return this.upstream.post(message, headers);
  }

  /**
   * Sends request `message` and waits for its answer alone (no stream): undefined when the time
   * ran out, the signal fired or the session closed first. Throws what the POST upstream throws.
   */
  async request(
    message: JsonRpcMessage & { id: JsonRpcId },
    headers: Record<string, string>,
    limits: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<JsonRpcMessage | undefined> {
    const { promise, resolve } = Promise.withResolvers<JsonRpcMessage | undefined>();
    this.expect(message, { streaming: false, send: resolve, end: () => resolve(undefined) });
    const timer =
      limits.timeoutMs === undefined ? undefined : setTimeout(() => resolve(undefined), limits.timeoutMs);
    const onAbort = () => resolve(undefined);
    limits.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.post(message, headers);
      return await promise;
    } finally {
      clearTimeout(timer);
      limits.signal?.removeEventListener("abort", onAbort);
      this.forget(message.id);
    }
  }

  /** A message from the backend. */
  deliver(message: JsonRpcMessage): void {
    if (message.method === undefined) {
      if (message.id === undefined || message.id === null) return;
      const key = idKey(message.id);
      const entry = this.pending.get(key);
      if (!entry) return; // an answer nobody waits for any more
      this.forget(message.id);
      entry.sink.send(message);
      entry.sink.end();
      return;
    }
    const token = progressTokenOfNotification(message);
    if (token !== undefined) {
      const owner = this.byProgressToken.get(idKey(token));
      const entry = owner === undefined ? undefined : this.pending.get(owner);
      if (entry) {
        if (entry.sink.streaming) entry.sink.send(message);
        return;
      }
    }
    // The legacy transport does not say which request a message belongs to. While a request
    // streams, it most likely does (a tool logging or asking for sampling), and on that stream it
    // stays in order with the answer; otherwise it goes to the GET stream.
    for (const entry of this.pending.values()) {
      if (entry.sink.streaming) {
        entry.sink.send(message);
        return;
      }
    }
    if (this.standalone) {
      this.standalone.send(message);
      return;
    }
    this.backlog.push(message);
    if (this.backlog.length > this.maxBacklog) this.backlog.shift();
  }

  /** Ends the session: every waiting request gets an error, every stream ends. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream?.close();
    for (const entry of this.pending.values()) {
      entry.sink.send(errorMessage(entry.id, -32000, `Backend connection closed: ${reason}`));
      entry.sink.end();
    }
    this.pending.clear();
    this.byProgressToken.clear();
    this.standalone?.end();
    this.standalone = undefined;
    this.backlog = [];
  }
}
