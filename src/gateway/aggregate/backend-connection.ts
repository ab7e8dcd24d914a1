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
import type { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { BackendAddressGuard } from "../url-guard.ts";
import { VERSION } from "./version.ts";

export interface BackendConnectionDeps {
  addressGuard: BackendAddressGuard;
  logger: Logger;
  /** The headers of each request to the backend (credential and user context, built fresh). */
  headers: (server: McpServer) => Promise<Record<string, string>>;
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
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
      });
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
        if (open === client && this.client === current) this.client = undefined;
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
    const { addressGuard } = this.deps;
    const address = addressGuard.cached(this.server.url) ?? (await addressGuard.verdict(this.server.url));
    if (address.problem !== undefined) {
      this.deps.logger.warn(
        { server: this.server.name, problem: address.problem },
        "backend address refused: the gateway does not connect to it",
      );
      throw new Error("Backend address refused");
    }
    const headers = new Headers(init.headers);
    const own = await this.deps.headers(this.server);
    for (const name in own) headers.set(name, own[name] as string);
    return await globalThis.fetch(target, { ...init, headers, redirect: "manual" });
  }
}

/**
 * True when a request failed at the connection, before any answer: not a JSON-RPC error, not an
 * HTTP status, not a timeout or a cancellation (those are McpError or StreamableHTTPError).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpError || error instanceof StreamableHTTPError) return false;
  return error instanceof Error && error.name !== "AbortError";
}
