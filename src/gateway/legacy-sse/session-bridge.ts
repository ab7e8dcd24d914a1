import type { Clock } from "../../clock.ts";
import { acceptsEventStream } from "../../http/event-stream.ts";
import type { Logger } from "../../logger.ts";
import type { OpenStreams } from "../open-streams.ts";
import { rpcError } from "../rpc-error.ts";
import type { SessionStore } from "../sessions.ts";
import { withSseKeepAlive } from "../sse-keepalive.ts";
import type { McpServer } from "../types.ts";
import { isRequest, type JsonRpcId, type JsonRpcMessage, parseMessage } from "./messages.ts";
import type { LegacySession, MessageSink } from "./session.ts";

/** The limits both bridges (legacy SSE, stdio) keep their sessions within. */
export interface SessionBridgeOptions {
  maxSessions: number;
  /** Most sessions of one owner; beyond it their own least recently used one is closed. */
  maxSessionsPerUser: number;
  /** A session unused this long is closed (its backend connection or process with it). */
  idleMs: number;
  maxBacklog: number;
  sseKeepAliveMs: number;
  /** Counts the SSE answers open to clients (the `/metrics` gauge); none when absent. */
  sseStreams?: OpenStreams;
}

/** What the proxy hands over once the caller is authenticated, authorised and owns the session. */
export interface BridgedCall {
  method: "GET" | "POST" | "DELETE";
  body: string | undefined;
  sessionId: string | null;
  accept: string;
  signal: AbortSignal;
  owner: string;
}

/** The words a bridge uses when it closes or refuses a session for room. */
export interface SessionBridgeWording {
  /** Why an owner's oldest session was closed when they reached their quota. */
  ownerQuotaReason: string;
  /** Why a new session is refused when the bridge is full. */
  fullRefusal: (maxSessions: number) => string;
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
};
const ENCODER = new TextEncoder();
const SWEEP_EVERY_MS = 60_000;
const OPENING_COMMENT = ENCODER.encode(": open\n\n");

/**
 * Streamable HTTP to clients over bridged sessions (`LegacySession`): `initialize` opens a gateway
 * session (`Mcp-Session-Id`, bound to its owner); each request goes to the backend and its answer,
 * with the messages that belong to it, comes back as SSE (or JSON when the client accepts only
 * JSON); GET opens the stream for everything else; DELETE ends the session. A subclass says how a
 * session's backend side is opened, which headers a call sends and how a backend failure answers.
 */
export abstract class SessionBridge<Call extends BridgedCall> {
  private readonly sessions = new Map<string, LegacySession>();
  private lastSweep = 0;

  constructor(
    private readonly owners: SessionStore,
    protected readonly clock: Clock,
    protected readonly logger: Logger,
    protected readonly options: SessionBridgeOptions,
    private readonly wording: SessionBridgeWording,
  ) {}

  /** Opens the session (its backend side attached), or the Response that says why not. */
  protected abstract openSession(
    server: McpServer,
    call: Call,
    initialize: JsonRpcMessage & { id: JsonRpcId },
  ): Promise<LegacySession | Response>;

  /** The backend headers sent with each of this call's messages. */
  protected abstract backendHeaders(call: Call): Record<string, string>;

  /** The answer when posting to the backend failed. */
  protected abstract backendFailure(server: string, id: JsonRpcId | null, error: unknown): Response;

  async handle(server: McpServer, call: Call): Promise<Response> {
    this.sweep();
    if (call.sessionId === null) {
      if (call.method !== "POST")
        return httpError(400, null, "Bad Request: Mcp-Session-Id header is required");
      return this.initialize(server, call);
    }
    const session = this.sessions.get(key(server.name, call.sessionId));
    if (!session || session.closed || session.owner !== call.owner) {
      return httpError(404, null, "Session not found");
    }
    session.lastUsed = this.clock.now();
    if (call.method === "DELETE") {
      this.end(session, "deleted by the client");
      return new Response(null, { status: 200 });
    }
    if (call.method === "GET") return this.standalone(session, call);
    return this.forward(session, call);
  }

  /** Closes every session (the gateway is stopping). */
  closeAll(): void {
    for (const session of this.sessions.values()) this.end(session, "the gateway is stopping");
  }

  /** Closes the sessions of a server that was changed or removed (its URL or credential may differ). */
  closeServer(serverId: string): void {
    for (const session of this.sessions.values()) {
      if (session.serverId === serverId) this.end(session, "the server was changed");
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  private async initialize(server: McpServer, call: Call): Promise<Response> {
    const message = parseMessage(call.body);
    if (!message) return httpError(400, null, "Parse error: expected one JSON-RPC message");
    if (!isRequest(message) || message.method !== "initialize") {
      return httpError(400, message.id ?? null, "Bad Request: Server not initialized");
    }
    const full = this.makeRoom(call.owner) ?? this.owners.refusal(call.owner);
    if (full) return rpcError(503, message.id, -32000, full, { "Retry-After": "60" });
    const session = await this.openSession(server, call, message);
    if (session instanceof Response) return session;
    this.sessions.set(key(server.name, session.id), session);
    this.owners.set(server.name, session.id, { owner: call.owner });
    const answer = await this.await(session, message, call, server.timeoutMs);
    if (answer instanceof Response || answer.error !== undefined) {
      this.end(session, "initialize failed");
      return answer instanceof Response ? answer : Response.json(answer);
    }
    return Response.json(answer, { headers: { "Mcp-Session-Id": session.id } });
  }

  private async forward(session: LegacySession, call: Call): Promise<Response> {
    const message = parseMessage(call.body);
    if (!message) return httpError(400, null, "Parse error: expected one JSON-RPC message");
    if (!isRequest(message)) {
      // A notification, or the client's answer to a server request (sampling, elicitation).
      try {
        await session.post(message, this.backendHeaders(call));
      } catch (error) {
        return this.backendFailure(session.server, null, error);
      }
      return new Response(null, { status: 202 });
    }
    if (session.hasPending(message.id)) {
      return httpError(400, message.id, "Invalid Request: a request with this id is in progress");
    }
    if (!acceptsEventStream(call.accept)) {
      const answer = await this.await(session, message, call, undefined);
      return answer instanceof Response ? answer : Response.json(answer);
    }
    const stream = new SseSink();
    session.expect(message, stream);
    call.signal.addEventListener(
      "abort",
      () => {
        session.forget(message.id);
        stream.end();
      },
      { once: true },
    );
    try {
      await session.post(message, this.backendHeaders(call));
    } catch (error) {
      session.forget(message.id);
      stream.end();
      return this.backendFailure(session.server, message.id, error);
    }
    return new Response(
      withSseKeepAlive(stream.body, this.options.sseKeepAliveMs, { streams: this.options.sseStreams }),
      {
        status: 200,
        headers: SSE_HEADERS,
      },
    );
  }

  private standalone(session: LegacySession, call: Call): Response {
    if (!acceptsEventStream(call.accept)) {
      return httpError(406, null, "Not Acceptable: the client must accept text/event-stream");
    }
    const stream = new SseSink();
    if (!session.openStandalone(stream)) {
      return httpError(409, null, "Conflict: only one GET stream per session is allowed");
    }
    const release = () => {
      session.closeStandalone(stream);
      stream.end();
    };
    call.signal.addEventListener("abort", release, { once: true });
    stream.onCancel = release;
    return new Response(
      withSseKeepAlive(stream.body, this.options.sseKeepAliveMs, { streams: this.options.sseStreams }),
      {
        status: 200,
        headers: SSE_HEADERS,
      },
    );
  }

  /** Sends request `message` and waits for its answer; a Response when that fails. */
  private async await(
    session: LegacySession,
    message: JsonRpcMessage & { id: JsonRpcId },
    call: Call,
    timeoutMs: number | undefined,
  ): Promise<JsonRpcMessage | Response> {
    let answer: JsonRpcMessage | undefined;
    try {
      answer = await session.request(message, this.backendHeaders(call), { timeoutMs, signal: call.signal });
    } catch (error) {
      return this.backendFailure(session.server, message.id, error);
    }
    if (answer) return answer;
    if (call.signal.aborted) return new Response(null, { status: 499 });
    if (session.closed) return httpError(502, message.id, "Backend connection closed");
    return httpError(504, message.id, "Backend timed out");
  }

  protected end(session: LegacySession, reason: string): void {
    if (this.sessions.get(key(session.server, session.id)) === session) {
      this.sessions.delete(key(session.server, session.id));
      this.owners.delete(session.server, session.id);
    }
    session.close(reason);
  }

  /** Closes idle sessions; runs at most once per SWEEP_EVERY_MS so requests stay O(1). */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const cutoff = now - this.options.idleMs;
    for (const session of this.sessions.values()) {
      if (session.lastUsed < cutoff) this.end(session, "idle");
    }
  }

  /**
   * Room for one more session of `owner`: at their quota their own least recently used session
   * is closed (clients seldom close sessions, and this one is theirs); when every other slot is
   * taken by other users, idle sessions are closed first, then the new one is refused (the reason
   * returned) rather than closing another user's session. One pass over the sessions: initialize
   * is rare next to the calls, and it opens a backend connection anyway.
   */
  private makeRoom(owner: string): string | undefined {
    let own = 0;
    let oldestOwn: LegacySession | undefined;
    for (const session of this.sessions.values()) {
      if (session.owner !== owner) continue;
      own++;
      if (!oldestOwn || session.lastUsed < oldestOwn.lastUsed) oldestOwn = session;
    }
    if (oldestOwn && own >= this.options.maxSessionsPerUser) {
      this.end(oldestOwn, this.wording.ownerQuotaReason);
      return undefined;
    }
    if (this.sessions.size < this.options.maxSessions) return undefined;
    this.lastSweep = 0;
    this.sweep();
    if (this.sessions.size < this.options.maxSessions) return undefined;
    return this.wording.fullRefusal(this.options.maxSessions);
  }
}

/** An SSE response body written message by message. */
export class SseSink implements MessageSink {
  readonly streaming = true;
  readonly body: ReadableStream<Uint8Array>;
  onCancel: (() => void) | undefined;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private done = false;

  constructor() {
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        // A first comment makes the response's headers go out now, not with the first message.
        controller.enqueue(OPENING_COMMENT);
      },
      cancel: () => {
        this.done = true;
        this.onCancel?.();
      },
    });
  }

  send(message: JsonRpcMessage): void {
    if (this.done) return;
    this.controller.enqueue(ENCODER.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`));
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.controller.close();
  }
}

/** The JSON-RPC error code the proxy uses for each kind of HTTP failure. */
export function httpError(status: number, id: JsonRpcId | null, message: string): Response {
  return rpcError(status, id, status === 404 ? -32001 : status >= 500 ? -32000 : -32600, message);
}

function key(server: string, sessionId: string): string {
  return `${server}\n${sessionId}`;
}
