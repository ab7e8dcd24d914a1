import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  type JSONRPCMessage,
  ListRootsRequestSchema,
  type LoggingLevel,
  LoggingMessageNotificationSchema,
  McpError,
  type Request as McpRequest,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type ServerCapabilities,
  type ServerNotification,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { BackendAddressGuard } from "../url-guard.ts";
import { VERSION } from "./version.ts";

export interface BackendConnectionDeps {
  addressGuard: BackendAddressGuard;
  logger: Logger;
  /**
   * The headers of each request to the backend (credential and user context, built fresh; without
   * a promise when nothing needs waiting for).
   */
  headers: (server: McpServer) => Record<string, string> | Promise<Record<string, string>>;
  /** The backend said one of its lists changed. */
  onListChanged: (serverId: string, kind: ListKind) => void;
  /** A logging message or a resource update for the client session. */
  onNotification: (server: McpServer, notification: ServerNotification) => void;
  /** The logging level the client asked for, sent to the backend when it connects. */
  loggingLevel: () => LoggingLevel | undefined;
  /**
   * What the client declared it can answer (sampling, elicitation, roots): the backend is told
   * only these, and its requests for them are relayed to the client.
   */
  clientCapabilities: ClientCapabilities;
  /** A transport onto a stdio server's process for this client session. */
  stdioTransport: (server: McpServer) => Transport;
  /** Relays a backend's request to the client and gives back the client's answer. */
  relay: (server: McpServer, request: ServerToClientRequest) => Promise<Record<string, unknown>>;
}

/** The requests a backend may send the client through the gateway. */
export type ServerToClientRequest = {
  method: "sampling/createMessage" | "elicitation/create" | "roots/list";
  params?: Record<string, unknown>;
};

export type ListKind = "tools" | "prompts" | "resources";

/**
 * One client session's connection to one backend: an SDK `Client` over Streamable HTTP (or the
 * legacy HTTP+SSE transport), opened on first use. Every HTTP request it makes goes through the
 * backend address guard and carries the backend's own credential, never the client's token, and
 * redirects are not followed (as in the per-server proxy).
 */
export class BackendConnection {
  private client: Promise<Client> | undefined;
  /** `client` once it is open: the lean path's calls take it without waiting. */
  private openClient: Client | undefined;
  /** Request ids of direct requests (`direct`): strings, so they never meet the SDK client's numbers. */
  private directIds = 0;

  constructor(
    readonly server: McpServer,
    private readonly deps: BackendConnectionDeps,
  ) {}

  /**
   * Sends a request; a backend that no longer knows its session (404) is initialised again and
   * asked once more: a 404 means the request was not processed, so the retry cannot repeat it.
   */
  async request<S extends z.ZodType>(
    request: McpRequest,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.output<S>> {
    const timed = { timeout: this.server.timeoutMs, resetTimeoutOnProgress: true, ...options };
    try {
      return await (await this.connected()).request(request, schema, timed);
    } catch (error) {
      if (!(error instanceof StreamableHTTPError) || error.code !== 404) throw error;
      this.deps.logger.info(
        { server: this.server.name },
        "backend session gone (404): opening a new one for the aggregated session",
      );
      await this.close();
      return await (await this.connected()).request(request, schema, timed);
    }
  }

  /**
   * One request POSTed straight to a Streamable HTTP backend in this connection's backend session,
   * without the SDK client's request machinery (the aggregated endpoint's lean path, see
   * `lean.ts`): the answer (JSON or an SSE stream) is read here; the backend's other messages on
   * that stream (logging, list changes, a request to the client) go to the SDK client as if its
   * transport had read them. Gives the backend's JSON-RPC answer as it came: `result` or `error`.
   * Errors are those of `request` (StreamableHTTPError for an HTTP status, McpError on timeout),
   * so callers classify them alike; a backend session gone (404) is re-opened and asked once more.
   * Other transports (stdio, legacy SSE) go through the SDK client. `signal` ends the call: the
   * client's cancellation, or the call's deadline (aborted with a `TimeoutError` reason: answered
   * as the SDK client's timeout, McpError RequestTimeout); the backend is told with
   * `notifications/cancelled` either way.
   */
  async direct(request: McpRequest, signal: AbortSignal): Promise<DirectAnswer> {
    const client = this.openClient ?? (await this.connected());
    const transport = client.transport;
    if (!(transport instanceof StreamableHTTPClientTransport)) {
      const timed = { timeout: this.server.timeoutMs, signal };
      return { result: await this.request(request, AnyObjectSchema, timed) };
    }
    try {
      return await this.post(client, transport, request, signal);
    } catch (error) {
      if (!(error instanceof StreamableHTTPError) || error.code !== 404) throw error;
      await this.close();
      const again = await this.connected();
      return await this.post(again, again.transport as StreamableHTTPClientTransport, request, signal);
    }
  }

  private async post(
    client: Client,
    transport: StreamableHTTPClientTransport,
    request: McpRequest,
    signal: AbortSignal,
  ): Promise<DirectAnswer> {
    const id = `gw-${++this.directIds}`;
    try {
      const pending = this.ownHeaders();
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      };
      if (transport.sessionId !== undefined) headers["mcp-session-id"] = transport.sessionId;
      if (transport.protocolVersion !== undefined)
        headers["mcp-protocol-version"] = transport.protocolVersion;
      const own = pending instanceof Promise ? await pending : pending;
      for (const name in own) headers[name.toLowerCase()] = own[name] as string;
      const response = await globalThis.fetch(this.server.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", id, method: request.method, params: request.params }),
        signal,
        redirect: "manual",
      });
      if (!response.ok) {
        const text = await response.text().catch(() => "");
        throw new StreamableHTTPError(response.status, `Error POSTing to endpoint: ${text}`);
      }
      const forward = (message: JSONRPCMessage) => transport.onmessage?.(message);
      const answer = isEventStream(response)
        ? await answerFromStream(response, id, forward)
        : answerFromJson(await response.json(), id, forward);
      if (answer === undefined) throw new Error("the backend's answer did not carry the request's id");
      return answer;
    } catch (error) {
      if (!signal.aborted) throw error;
      // Cancelled by the client or timed out: the backend hears of it as the SDK client would tell it.
      const timedOut = (signal.reason as { name?: unknown } | undefined)?.name === "TimeoutError";
      const reason = timedOut ? "timed out" : "cancelled by the client";
      client
        .notification({ method: "notifications/cancelled", params: { requestId: id, reason } })
        .catch(() => {});
      if (timedOut)
        throw new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: this.server.timeoutMs });
      throw error;
    }
  }

  /** Sends a notification only if the backend is connected already. */
  notifyIfConnected(notification: Parameters<Client["notification"]>[0]): void {
    const pending = this.client;
    if (!pending) return;
    pending.then((client) => client.notification(notification)).catch(() => {});
  }

  /** The backend's capabilities if it is connected, without connecting. */
  async connectedCapabilities(): Promise<ServerCapabilities | undefined> {
    const pending = this.client;
    if (!pending) return undefined;
    return (await pending.catch(() => undefined))?.getServerCapabilities();
  }

  /** What the backend offers (connecting to it if need be). */
  async capabilities(): Promise<ServerCapabilities | undefined> {
    return (await this.connected()).getServerCapabilities();
  }

  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    this.openClient = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    // A DELETE tells a Streamable HTTP backend to end its session; failures do not matter here.
    const transport = client.transport;
    if (transport instanceof StreamableHTTPClientTransport) {
      await transport.terminateSession().catch(() => {});
    }
    await client.close().catch(() => {});
  }

  private connected(): Promise<Client> {
    if (!this.client) {
      const pending = this.open();
      // A failed connection is not kept: the next request tries again.
      pending.then(
        (client) => {
          if (this.client === pending) this.openClient = client;
        },
        () => {
          if (this.client === pending) this.client = undefined;
        },
      );
      this.client = pending;
    }
    return this.client;
  }

  private async open(): Promise<Client> {
    const declared = this.deps.clientCapabilities;
    const capabilities: ClientCapabilities = {};
    if (declared.sampling) capabilities.sampling = declared.sampling;
    if (declared.elicitation) capabilities.elicitation = declared.elicitation;
    if (declared.roots) capabilities.roots = declared.roots;
    const client = new Client({ name: "authmcp-gateway", version: VERSION }, { capabilities });
    // The client's answers go back as they came (the SDK checks their shape on both sides).
    const relay = (request: ServerToClientRequest) => this.deps.relay(this.server, request) as never;
    if (declared.sampling) client.setRequestHandler(CreateMessageRequestSchema, relay);
    if (declared.elicitation) client.setRequestHandler(ElicitRequestSchema, relay);
    if (declared.roots) client.setRequestHandler(ListRootsRequestSchema, relay);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.deps.onListChanged(this.server.id, "tools");
    });
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
      this.deps.onListChanged(this.server.id, "prompts");
    });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      this.deps.onListChanged(this.server.id, "resources");
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      this.deps.onNotification(this.server, notification);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      this.deps.onNotification(this.server, notification);
    });
    client.onerror = (error) => {
      this.deps.logger.debug({ server: this.server.name, err: error.message }, "backend connection error");
    };
    await client.connect(this.transport(), { timeout: this.server.timeoutMs });
    // A transport that closed (a stdio process that ended, a dropped SSE connection) is not
    // reused: the next request opens a new connection.
    client.onclose = () => {
      const current = this.client;
      void current?.then((open) => {
        if (open === client && this.client === current) {
          this.client = undefined;
          this.openClient = undefined;
        }
      });
    };
    const level = this.deps.loggingLevel();
    if (level !== undefined && client.getServerCapabilities()?.logging) {
      await client.setLoggingLevel(level).catch(() => {});
    }
    return client;
  }

  private transport(): Transport {
    if (this.server.transport === "stdio") return this.deps.stdioTransport(this.server);
    const url = new URL(this.server.url);
    const fetch = (target: string | URL, init?: RequestInit) => this.fetch(target, init);
    return this.server.transport === "sse"
      ? new SSEClientTransport(url, { fetch })
      : new StreamableHTTPClientTransport(url, { fetch });
  }

  private async fetch(target: string | URL, init: RequestInit = {}): Promise<Response> {
    const own = await this.ownHeaders();
    return await globalThis.fetch(target, {
      ...init,
      headers: withOwn(init.headers, own),
      redirect: "manual",
    });
  }

  /**
   * The backend's own headers (its credential), once its address is known to be one the gateway
   * connects to; without a promise when the address verdict and the headers are at hand.
   */
  private ownHeaders(): Record<string, string> | Promise<Record<string, string>> {
    const address = this.deps.addressGuard.cached(this.server.url);
    if (address === undefined) return this.checkedHeaders();
    this.refuseProblem(address.problem);
    return this.deps.headers(this.server);
  }

  private async checkedHeaders(): Promise<Record<string, string>> {
    this.refuseProblem((await this.deps.addressGuard.verdict(this.server.url)).problem);
    return await this.deps.headers(this.server);
  }

  private refuseProblem(problem: string | undefined): void {
    if (problem === undefined) return;
    this.deps.logger.warn(
      { server: this.server.name, problem },
      "backend address refused: the gateway does not connect to it",
    );
    throw new Error("Backend address refused");
  }
}

/**
 * The request's headers with the backend's own (its credential) set over them. A plain record
 * (the lean path's) stays one, lower-cased: cheaper than a `Headers` and `set` per name.
 */
function withOwn(headers: HeadersInit | undefined, own: Record<string, string>): HeadersInit {
  if (headers !== undefined && !(headers instanceof Headers) && !Array.isArray(headers)) {
    const merged: Record<string, string> = {};
    for (const name in headers) merged[name.toLowerCase()] = headers[name] as string;
    for (const name in own) merged[name.toLowerCase()] = own[name] as string;
    return merged;
  }
  const merged = new Headers(headers);
  for (const name in own) merged.set(name, own[name] as string);
  return merged;
}

/** A backend's JSON-RPC answer to a direct request: its result, or its error as it came. */
export type DirectAnswer =
  | { result: Record<string, unknown>; error?: undefined }
  | { result?: undefined; error: { code: number; message: string; data?: unknown } };

const AnyObjectSchema = z.looseObject({});

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
}

/** The answer with this id among a JSON body's messages; the others are forwarded. */
function answerFromJson(
  body: unknown,
  id: string,
  forward: (message: JSONRPCMessage) => void,
): DirectAnswer | undefined {
  let answer: DirectAnswer | undefined;
  for (const message of Array.isArray(body) ? body : [body]) {
    const own = ownAnswer(message, id);
    if (own) answer = own;
    else if (message && typeof message === "object") forward(message as JSONRPCMessage);
  }
  return answer;
}

/** Reads SSE events until the one answering `id`; the others are forwarded as they come. */
async function answerFromStream(
  response: Response,
  id: string,
  forward: (message: JSONRPCMessage) => void,
): Promise<DirectAnswer | undefined> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffered += decoder.decode(value, { stream: true }).replaceAll("\r\n", "\n");
      let end = buffered.indexOf("\n\n");
      while (end >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf("\n\n");
        const data = event
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5))
          .join("\n");
        if (data === "") continue;
        const answer = answerFromJson(JSON.parse(data), id, forward);
        if (answer) return answer;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function ownAnswer(message: unknown, id: string): DirectAnswer | undefined {
  if (!message || typeof message !== "object") return undefined;
  const { id: answered, result, error } = message as { id?: unknown; result?: unknown; error?: unknown };
  if (answered !== id) return undefined;
  if (error && typeof error === "object") return { error: error as { code: number; message: string } };
  if (result && typeof result === "object") return { result: result as Record<string, unknown> };
  return undefined;
}

/**
 * True when a request failed at the connection, before any answer: not a JSON-RPC error, not an
 * HTTP status, not a timeout or a cancellation (those are McpError or StreamableHTTPError).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpError || error instanceof StreamableHTTPError) return false;
  return error instanceof Error && error.name !== "AbortError";
}
