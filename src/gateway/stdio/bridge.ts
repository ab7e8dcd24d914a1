import type { Clock } from "../../clock.ts";
import { randomToken } from "../../crypto/random.ts";
import { acceptsEventStream } from "../../http/event-stream.ts";
import type { Logger } from "../../logger.ts";
import { SseSink } from "../legacy-sse/bridge.ts";
import { isRequest, type JsonRpcId, type JsonRpcMessage, parseMessage } from "../legacy-sse/messages.ts";
import type { LegacySession } from "../legacy-sse/session.ts";
import { rpcError } from "../rpc-error.ts";
import type { SessionStore } from "../sessions.ts";
import { withSseKeepAlive } from "../sse-keepalive.ts";
import type { McpServer } from "../types.ts";
import { StdioUnavailable } from "./channel.ts";
import type { StdioProcessPool } from "./pool.ts";
import { openStdioSession } from "./session.ts";

export interface StdioBridgeOptions {
  maxSessions: number;
  /** Most sessions of one owner; beyond it their own least recently used one is closed. */
  maxSessionsPerUser: number;
  /** A session unused this long is closed (in session mode its process with it). */
  idleMs: number;
  maxBacklog: number;
  sseKeepAliveMs: number;
}

/** What the proxy hands over once the caller is authenticated, authorised and owns the session. */
export interface StdioCall {
  method: "GET" | "POST" | "DELETE";
  body: string | undefined;
  sessionId: string | null;
  accept: string;
  signal: AbortSignal;
  owner: string;
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
};
const SWEEP_EVERY_MS = 60_000;

/**
 * Streamable HTTP for stdio servers on `/mcp/{server}`: `initialize` opens a gateway session
 * (`Mcp-Session-Id`, bound to its user) on the server's process; each request goes to the process
 * and its answer, with the progress and messages that belong to it, comes back as SSE (or JSON
 * when the client accepts only JSON); GET opens the stream for everything else; DELETE ends the
 * session. The same shape as the legacy SSE bridge, whose session routing it uses.
 */
export class StdioBridge {
  private readonly sessions = new Map<string, LegacySession>();
  private lastSweep = 0;

  constructor(
    private readonly pool: StdioProcessPool,
    private readonly owners: SessionStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: StdioBridgeOptions,
  ) {}

  async handle(server: McpServer, call: StdioCall): Promise<Response> {
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
    return this.forward(session, call, server);
  }

  closeAll(): void {
    for (const session of this.sessions.values()) this.end(session, "the gateway is stopping");
  }

  closeServer(serverId: string): void {
    for (const session of this.sessions.values()) {
      if (session.serverId === serverId) this.end(session, "the server was changed");
    }
  }

  private async initialize(server: McpServer, call: StdioCall): Promise<Response> {
    const message = parseMessage(call.body);
    if (!message) return httpError(400, null, "Parse error: expected one JSON-RPC message");
    if (!isRequest(message) || message.method !== "initialize") {
      return httpError(400, message.id ?? null, "Bad Request: Server not initialized");
    }
    const full = this.makeRoom(call.owner) ?? this.owners.refusal(call.owner);
    if (full) return rpcError(503, message.id, -32000, full, { "Retry-After": "60" });
    const session = openStdioSession(
      this.pool,
      server,
      { id: randomToken(24), owner: call.owner, maxBacklog: this.options.maxBacklog, now: this.clock.now() },
      (closed, reason) => this.end(closed, reason),
    );
    this.sessions.set(key(server.name, session.id), session);
    this.owners.set(server.name, session.id, { owner: call.owner });
    const answer = await this.await(session, message, call, server.timeoutMs);
    if (answer instanceof Response || answer.error !== undefined) {
      this.end(session, "initialize failed");
      return answer instanceof Response ? answer : Response.json(answer);
    }
    return Response.json(answer, { headers: { "Mcp-Session-Id": session.id } });
  }

  private async forward(session: LegacySession, call: StdioCall, server: McpServer): Promise<Response> {
    const message = parseMessage(call.body);
    if (!message) return httpError(400, null, "Parse error: expected one JSON-RPC message");
    if (!isRequest(message)) {
      try {
        await session.post(message, {});
      } catch (error) {
        return this.unavailable(server, null, error);
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
      await session.post(message, {});
    } catch (error) {
      session.forget(message.id);
      stream.end();
      return this.unavailable(server, message.id, error);
    }
    return new Response(withSseKeepAlive(stream.body, this.options.sseKeepAliveMs), {
      status: 200,
      headers: SSE_HEADERS,
    });
  }

  private standalone(session: LegacySession, call: StdioCall): Response {
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
    return new Response(withSseKeepAlive(stream.body, this.options.sseKeepAliveMs), {
      status: 200,
      headers: SSE_HEADERS,
    });
  }

  private async await(
    session: LegacySession,
    message: JsonRpcMessage & { id: JsonRpcId },
    call: StdioCall,
    timeoutMs: number | undefined,
  ): Promise<JsonRpcMessage | Response> {
    let answer: JsonRpcMessage | undefined;
    try {
      answer = await session.request(message, {}, { timeoutMs, signal: call.signal });
    } catch (error) {
      return this.unavailable(session.server, message.id, error);
    }
    if (answer) return answer;
    if (call.signal.aborted) return new Response(null, { status: 499 });
    if (session.closed) return httpError(502, message.id, "Backend connection closed");
    return httpError(504, message.id, "Backend timed out");
  }

  /** 503 with Retry-After while a crashed process waits out its backoff; 502 otherwise. */
  private unavailable(server: McpServer | string, id: JsonRpcId | null, error: unknown): Response {
    const name = typeof server === "string" ? server : server.name;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn({ server: name, transport: "stdio", err: reason }, "stdio server unavailable");
    if (error instanceof StdioUnavailable && error.retryAfterMs !== undefined) {
      return rpcError(503, id, -32000, "Backend restarting", {
        "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))),
      });
    }
    return httpError(502, id, "Backend unavailable");
  }

  private end(session: LegacySession, reason: string): void {
    if (this.sessions.get(key(session.server, session.id)) === session) {
      this.sessions.delete(key(session.server, session.id));
      this.owners.delete(session.server, session.id);
    }
    session.close(reason);
  }

  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const cutoff = now - this.options.idleMs;
    for (const session of this.sessions.values()) {
      if (session.lastUsed < cutoff) this.end(session, "idle");
    }
  }

  /** As the legacy bridge: an owner at their quota loses their own oldest session; a full bridge refuses. */
  private makeRoom(owner: string): string | undefined {
    let own = 0;
    let oldestOwn: LegacySession | undefined;
    for (const session of this.sessions.values()) {
      if (session.owner !== owner) continue;
      own++;
      if (!oldestOwn || session.lastUsed < oldestOwn.lastUsed) oldestOwn = session;
    }
    if (oldestOwn && own >= this.options.maxSessionsPerUser) {
      this.end(oldestOwn, "too many stdio sessions of this user");
      return undefined;
    }
    if (this.sessions.size < this.options.maxSessions) return undefined;
    this.lastSweep = 0;
    this.sweep();
    if (this.sessions.size < this.options.maxSessions) return undefined;
    return `the gateway serves as many stdio sessions as it may (MCP_STDIO_MAX_SESSIONS=${this.options.maxSessions}); try again later`;
  }
}

function httpError(status: number, id: JsonRpcId | null, message: string): Response {
  return rpcError(status, id, status === 404 ? -32001 : status >= 500 ? -32000 : -32600, message);
}

function key(server: string, sessionId: string): string {
  return `${server}\n${sessionId}`;
}
