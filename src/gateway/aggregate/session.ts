import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  type ClientCapabilities,
  type LoggingLevel,
  type McpError,
  type RequestId,
  RootsListChangedNotificationSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { randomToken } from "../../crypto/random.ts";
import type { McpServer } from "../types.ts";
import type { UpstreamWatch } from "../upstream-watch.ts";
import type { Caller } from "../user-context.ts";
import type { BackendConnection, ListKind, ServerToClientRequest } from "./backend-connection.ts";
import type { BackendConnections } from "./connections.ts";
import { BoundedEventStore } from "./event-store.ts";
import { exposedUri } from "./resources.ts";
import { AnyResultSchema, type Extra } from "./tools.ts";
import { VERSION } from "./version.ts";

export interface SessionOptions {
  owner: string;
  /** The protocol version negotiated at initialize. */
  protocolVersion: string;
  /** What the gateway offers this client (the union of its servers' capabilities). */
  capabilities: ServerCapabilities;
  connections: BackendConnections;
  sseKeepAliveMs: number;
  /** SSE events kept for a client resuming with Last-Event-ID (0: not resumable). */
  eventBuffer: number;
  /** Installs the request handlers on the session's MCP server. */
  install: (server: Server, session: AggregateSession) => void;
  /** The session's id was issued (its initialize succeeded). */
  onOpened: (session: AggregateSession) => void;
  /** The session ended (DELETE, idle, shutdown). */
  onClosed: (session: AggregateSession) => void;
  /** Deadlines and client departures of lean-path calls, swept (no timer or listener per call). */
  watch: UpstreamWatch;
}

/**
 * One client's session of the aggregated endpoint: the gateway's own MCP server for that client
 * (the SDK's `Server` on the web-standard Streamable HTTP transport) and its backend connections.
 */
export class AggregateSession {
  readonly id = randomToken(24);
  readonly owner: string;
  readonly protocolVersion: string;
  readonly capabilities: ServerCapabilities;
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  private readonly connections: BackendConnections;
  /** The calls in flight per server, newest last: where that backend's logging messages go. */
  private readonly inflight = new Map<string, Extra[]>();
  private closed = false;
  /** Lists announced changed during this tick: each is told once however many changes came. */
  private readonly changedLists = new Set<ListKind>();
  /** Calls answered on the lean path and still running, by the client's request id (to cancel them). */
  private readonly leanCalls = new Map<RequestId, AbortController>();
  /** Requests of the SDK path to answer with this error instead of handling them (see `refuse`). */
  private readonly refusals = new Map<RequestId, McpError>();
  /** Who waits for the answer to an SDK-path request (the activity record), by request id. */
  private readonly answerListeners = new Map<RequestId, (errorCode: number | null) => void>();

  constructor(private readonly options: SessionOptions) {
    this.owner = options.owner;
    this.protocolVersion = options.protocolVersion;
    this.capabilities = options.capabilities;
    this.connections = options.connections;
    this.server = new Server(
      { name: "authmcp-gateway", version: VERSION },
      { capabilities: options.capabilities },
    );
    options.install(this.server, this);
    this.connections.onNotification = (server, notification) => this.fromBackend(server, notification);
    this.connections.relay = (server, request) => this.relay(server, request);
    // The client's roots changed: every connected backend that was told of roots hears it.
    this.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      if (!this.connections.clientCapabilities.roots) return;
      for (const connection of this.connections.all()) {
        connection.notifyIfConnected({ method: "notifications/roots/list_changed" });
      }
    });
    this.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => this.id,
      onsessioninitialized: () => options.onOpened(this),
      onsessionclosed: () => {
        void this.close();
      },
      keepAliveMs: options.sseKeepAliveMs,
      eventStore: options.eventBuffer > 0 ? new BoundedEventStore(options.eventBuffer) : undefined,
    });
    // Every answer the SDK server sends passes here: who waits for it hears its outcome.
    const send = this.transport.send.bind(this.transport);
    this.transport.send = (message, sendOptions) => {
      if (
        this.answerListeners.size > 0 &&
        "id" in message &&
        message.id !== undefined &&
        !("method" in message)
      ) {
        const listener = this.answerListeners.get(message.id);
        if (listener) {
          this.answerListeners.delete(message.id);
          listener("error" in message ? message.error.code : null);
        }
      }
      return send(message, sendOptions);
    };
  }

  /** What the client declared at initialize (sampling, elicitation, roots …). */
  get clientCapabilities(): ClientCapabilities {
    return this.connections.clientCapabilities;
  }

  /**
   * Runs a lean-path call (see `lean.ts`) with one signal that aborts when the client cancels the
   * request (`notifications/cancelled` with its id), when it goes away (its `client` request's
   * connection closed), or when `timeoutMs` have passed (reason: a `TimeoutError`). The last two
   * are found by the gateway's upstream watch, as for the per-server proxy: a per-call timer and
   * abort listeners cost more CPU than the rest of a lean call's own work (bench/README.md).
   */
  async leanCall<T>(
    id: RequestId,
    client: Request,
    timeoutMs: number,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const watched = this.options.watch.start(client, timeoutMs);
    this.leanCalls.set(id, watched.controller);
    try {
      return await run(watched.signal);
    } finally {
      this.options.watch.end(watched);
      if (this.leanCalls.get(id) === watched.controller) this.leanCalls.delete(id);
    }
  }

  /** The SDK path answers request `id` (in this POST's stream) with this error instead of handling it. */
  refuse(id: RequestId, error: McpError): void {
    this.refusals.set(id, error);
  }

  /** `listener` hears the error code (or null) of the SDK server's answer to request `id`. */
  onAnswer(id: RequestId, listener: (errorCode: number | null) => void): void {
    this.answerListeners.set(id, listener);
  }

  /** Stops waiting for an answer that will not come (the request was cancelled, the client left). */
  forgetAnswer(id: RequestId): void {
    this.answerListeners.delete(id);
  }

  /** Who calls now: refreshed from each request's token (scopes, user state). */
  get caller(): Caller {
    return this.connections.caller;
  }

  set caller(caller: Caller) {
    this.connections.caller = caller;
  }

  get loggingLevel(): LoggingLevel | undefined {
    return this.connections.loggingLevel;
  }

  set loggingLevel(level: LoggingLevel | undefined) {
    this.connections.loggingLevel = level;
  }

  /** The backend connections created so far. */
  connectionsNow(): BackendConnection[] {
    return this.connections.all();
  }

  /**
   * A client that goes away cancels its requests: each request of the body still running gets the
   * cancellation a `notifications/cancelled` would give it (and the backend hears of it the same
   * way). A request already answered is not affected.
   */
  cancelOnDisconnect(signal: AbortSignal, body: unknown): void {
    const ids = (Array.isArray(body) ? body : [body]).flatMap((message) => {
      const { id, method } = (message ?? {}) as { id?: unknown; method?: unknown };
      return typeof method === "string" && (typeof id === "string" || typeof id === "number") ? [id] : [];
    });
    if (ids.length === 0) return;
    signal.addEventListener(
      "abort",
      () => {
        for (const requestId of ids) {
          this.transport.onmessage?.({
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId, reason: "the client disconnected" },
          });
        }
      },
      { once: true },
    );
  }

  /** Marks a call to a server as in flight until the returned function is called. */
  track(serverId: string, extra: Extra): () => void {
    let calls = this.inflight.get(serverId);
    if (!calls) {
      calls = [];
      this.inflight.set(serverId, calls);
    }
    calls.push(extra);
    return () => {
      const list = this.inflight.get(serverId);
      const at = list?.indexOf(extra) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
      if (list?.length === 0) this.inflight.delete(serverId);
    };
  }

  async start(): Promise<void> {
    await this.server.connect(this.transport);
    // Installed by connect: every message of the client passes here first.
    const onmessage = this.transport.onmessage;
    this.transport.onmessage = (message, extra) => {
      if ("method" in message && "id" in message && this.refusals.size > 0) {
        const refusal = this.refusals.get(message.id);
        if (refusal) {
          this.refusals.delete(message.id);
          const { code, message: text, data } = refusal;
          const error = data === undefined ? { code, message: text } : { code, message: text, data };
          this.transport.send({ jsonrpc: "2.0", id: message.id, error }).catch(() => {});
          return;
        }
      }
      if ("method" in message && message.method === "notifications/cancelled" && this.leanCalls.size > 0) {
        const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (requestId !== undefined) this.leanCalls.get(requestId)?.abort();
      }
      onmessage?.(message, extra);
    };
  }

  /** This session's connection to a backend, created (not yet opened) on first use. */
  connection(server: McpServer): BackendConnection {
    return this.connections.get(server);
  }

  /** Closes the connection to a server that changed or went away. */
  dropServer(serverId: string): void {
    this.connections.drop(serverId);
  }

  /** Tells the client (on its GET stream, if open) that a list changed, when it was told that one may. */
  listChanged(kind: ListKind): void {
    if (this.closed) return;
    if (
      (kind === "prompts" && !this.capabilities.prompts) ||
      (kind === "resources" && !this.capabilities.resources)
    )
      return;
    if (this.changedLists.size === 0) queueMicrotask(() => this.announceLists());
    this.changedLists.add(kind);
  }

  private announceLists(): void {
    const kinds = [...this.changedLists];
    this.changedLists.clear();
    if (this.closed) return;
    for (const kind of kinds) {
      if (kind === "tools") this.server.sendToolListChanged().catch(() => {});
      else if (kind === "prompts") this.server.sendPromptListChanged().catch(() => {});
      else this.server.sendResourceListChanged().catch(() => {});
    }
  }

  /**
   * A backend's request to the client (sampling, elicitation, roots) goes on the stream of the
   * newest call in flight to that backend (the request it belongs to), else on the GET stream. The
   * gateway's own request ids are used towards the client, so two backends' ids cannot collide,
   * and the SDK routes the client's answer (a POST) back to the request, thus to the backend.
   */
  private relay(server: McpServer, request: ServerToClientRequest): Promise<Record<string, unknown>> {
    const call = this.inflight.get(server.id)?.at(-1);
    const message = request as ServerRequest;
    return call ? call.sendRequest(message, AnyResultSchema) : this.server.request(message, AnyResultSchema);
  }

  /**
   * A backend's logging message goes on the stream of the newest call in flight to that backend
   * (MCP does not say which request a notification belongs to; a call's own messages are the
   * likely ones), named after the server when it names no logger; without a call in flight, on the
   * GET stream. A resource update comes back with the URI the client knows.
   */
  private fromBackend(server: McpServer, notification: ServerNotification): void {
    if (this.closed) return;
    if (notification.method === "notifications/message") {
      if (!this.capabilities.logging) return;
      const params = { ...notification.params, logger: notification.params.logger ?? server.name };
      const message = { method: notification.method, params };
      const call = this.inflight.get(server.id)?.at(-1);
      (call ? call.sendNotification(message) : this.server.notification(message)).catch(() => {});
    } else if (notification.method === "notifications/resources/updated") {
      const params = { ...notification.params, uri: exposedUri(server.name, notification.params.uri) };
      this.server.notification({ method: notification.method, params }).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.onClosed(this);
    await Promise.all([this.connections.closeAll(), this.transport.close().catch(() => {})]);
  }
}
