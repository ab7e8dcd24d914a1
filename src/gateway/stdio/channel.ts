import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import {
  errorMessage,
  idKey,
  isRequest,
  type JsonRpcId,
  type JsonRpcMessage,
  progressTokenOf,
  progressTokenOfNotification,
} from "../legacy-sse/messages.ts";
import type { McpServer } from "../types.ts";
import { type ProcessLimits, StdioProcess } from "./process.ts";

/** One client session attached to a process: it receives messages with its own ids. */
export interface ChannelClient {
  readonly key: string;
  deliver(message: JsonRpcMessage): void;
  /** The channel stopped for good (server changed, deleted, gateway closing). */
  closed(reason: string): void;
}

/** Why a message could not reach the process; `retryAfterMs` while a restart waits out its backoff. */
export class StdioUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ChannelOptions {
  /** Several client sessions on one process (ids and progress tokens rewritten per session). */
  shared: boolean;
  limits: ProcessLimits;
  backoffMs: number;
  backoffMaxMs: number;
}

export interface ChannelDeps {
  clock: Clock;
  logger: Logger;
  /** The process's environment: a few of the gateway's variables plus the server's own. */
  environment(): Promise<Record<string, string>>;
}

/** The MCP version the gateway asks a process for in shared mode. */
const GATEWAY_PROTOCOL_VERSION = "2025-06-18";
const GATEWAY_INITIALIZE = {
  protocolVersion: GATEWAY_PROTOCOL_VERSION,
  // Shared mode declares no client capabilities: a request from the process (sampling,
  // elicitation, roots) cannot be told apart between the sessions that share it.
  capabilities: {},
  clientInfo: { name: "authmcp-gateway", version: "1" },
};
/** Versions a client is answered with when it asks for one older than the process agreed to. */
const KNOWN_VERSIONS = new Set(["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]);

interface Pending {
  client: ChannelClient;
  id: JsonRpcId;
  token?: string;
}

/**
 * One process of a stdio server and the client sessions using it.
 *
 * The gateway does the MCP handshake with the process itself, once per process start, and answers
 * every client's `initialize` from that result: in shared mode so that many sessions can use one
 * process (a process is initialized only once), in session mode with the client's own parameters
 * (its capabilities reach the server), so that a restarted process is initialized again without
 * the client noticing. Request ids and progress tokens are rewritten to the channel's own numbers
 * and mapped back, so two sessions choosing the same id never collide.
 *
 * Started on first use; after an unexpected exit the next use starts it again, but not before a
 * backoff (doubled for each exit before a successful initialize) during which calls are refused.
 */
export class StdioChannel {
  private process: StdioProcess | undefined;
  private starting: Promise<void> | undefined;
  private initResult: Record<string, unknown> | undefined;
  private initParams: unknown;
  private readonly clients = new Map<string, ChannelClient>();
  private readonly pending = new Map<number, Pending>();
  private readonly progress = new Map<string, { client: ChannelClient; token: JsonRpcId }>();
  private readonly internal = new Map<number, (message: JsonRpcMessage | undefined) => void>();
  private nextId = 1;
  private failures = 0;
  private retryAt = 0;
  private stopped = false;

  constructor(
    readonly server: McpServer,
    private readonly deps: ChannelDeps,
    private readonly options: ChannelOptions,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** The running process's id, if one runs. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  attach(client: ChannelClient): void {
    this.clients.set(client.key, client);
  }

  detach(client: ChannelClient): void {
    if (this.clients.get(client.key) !== client) return;
    this.clients.delete(client.key);
    for (const [id, entry] of this.pending) {
      if (entry.client !== client) continue;
      this.pending.delete(id);
      if (entry.token !== undefined) this.progress.delete(entry.token);
    }
  }

  /** A message from `client` to the process. Throws StdioUnavailable when the process cannot run. */
  async send(client: ChannelClient, message: JsonRpcMessage): Promise<void> {
    if (this.stopped) throw new StdioUnavailable("the stdio server was stopped");
    if (isRequest(message)) {
      if (message.method === "initialize") {
        if (!this.options.shared && this.initParams === undefined) this.initParams = message.params;
        await this.ready();
        client.deliver({ jsonrpc: "2.0", id: message.id, result: this.initializeAnswer(message.params) });
        return;
      }
      await this.ready();
      const id = this.nextId++;
      const original = progressTokenOf(message);
      const token = original === undefined ? undefined : `gw-${id}`;
      this.pending.set(id, { client, id: message.id, token });
      if (token !== undefined && original !== undefined)
        this.progress.set(token, { client, token: original });
      this.write({
        ...message,
        id,
        params: token === undefined ? message.params : withToken(message, token),
      });
      return;
    }
    if (message.method === "notifications/initialized") return; // the gateway sent its own
    if (message.method === "notifications/cancelled") {
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      const ours = this.channelIdOf(client, requestId);
      if (ours === undefined) return;
      const params = { ...(message.params as object), requestId: ours };
      this.write({ ...message, params });
      return;
    }
    if (message.method === undefined && this.options.shared) return; // no request was relayed to it
    await this.ready();
    this.write(message);
  }

  /** Stops the process for good and tells every client. */
  async stop(reason: string): Promise<void> {
    this.stopped = true;
    const running = this.process;
    this.failAll(`the stdio server was stopped: ${reason}`);
    for (const client of this.clients.values()) client.closed(reason);
    this.clients.clear();
    await running?.stop();
  }

  private async ready(): Promise<void> {
    if (this.process && this.initResult !== undefined) return;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    await this.starting;
  }

  private async start(): Promise<void> {
    const { clock, logger } = this.deps;
    const wait = this.retryAt - clock.now();
    if (wait > 0) throw new StdioUnavailable("the stdio server is restarting", wait);
    const stdio = this.server.stdio;
    if (!stdio) throw new StdioUnavailable("the server has no command");
    const env = await this.deps.environment();
    // Stopped while the environment was decrypted: nothing may start now (it would be an orphan).
    if (this.stopped) throw new StdioUnavailable("the stdio server was stopped");
    let started: StdioProcess;
    try {
      started = StdioProcess.spawn(
        { command: stdio.command, args: stdio.args, cwd: stdio.cwd, env },
        this.server.name,
        logger,
        this.options.limits,
        (message) => this.receive(message),
        (reason) => this.exited(started, reason),
      );
    } catch (error) {
      this.failed();
      logger.error(
        { server: this.server.name, command: stdio.command, err: describe(error) },
        "stdio server could not be started",
      );
      throw new StdioUnavailable("the stdio server could not be started");
    }
    this.process = started;
    logger.info({ server: this.server.name, pid: started.pid }, "stdio server started");
    const answer = await this.internalRequest("initialize", this.initParams ?? GATEWAY_INITIALIZE);
    const result = answer?.result;
    if (!answer || answer.error !== undefined || !result || typeof result !== "object") {
      if (this.process === started) {
        this.failed();
        this.process = undefined;
        void started.stop();
      }
      logger.warn({ server: this.server.name }, "stdio server did not initialize");
      throw new StdioUnavailable("the stdio server did not initialize");
    }
    this.initResult = result as Record<string, unknown>;
    this.failures = 0;
    this.write({ jsonrpc: "2.0", method: "notifications/initialized" });
  }

  /** The process's initialize result, with the version the client asked for when it can have it. */
  private initializeAnswer(params: unknown): Record<string, unknown> {
    const result = this.initResult ?? {};
    const asked = (params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    const agreed = result.protocolVersion;
    if (
      typeof asked === "string" &&
      typeof agreed === "string" &&
      KNOWN_VERSIONS.has(asked) &&
      asked < agreed
    ) {
      return { ...result, protocolVersion: asked };
    }
    return result;
  }

  private internalRequest(method: string, params: unknown): Promise<JsonRpcMessage | undefined> {
    const id = this.nextId++;
    const { promise, resolve } = Promise.withResolvers<JsonRpcMessage | undefined>();
    const timer = setTimeout(() => resolve(undefined), this.server.timeoutMs);
    this.internal.set(id, (message) => {
      clearTimeout(timer);
      this.internal.delete(id);
      resolve(message);
    });
    if (!this.process?.send({ jsonrpc: "2.0", id, method, params })) {
      this.internal.get(id)?.(undefined);
    }
    return promise;
  }

  private write(message: JsonRpcMessage): void {
    if (!this.process?.send(message)) throw new StdioUnavailable("the stdio server is not running");
  }

  /** A message from the process. */
  private receive(message: JsonRpcMessage): void {
    if (message.method === undefined) {
      if (typeof message.id !== "number") return;
      const waiter = this.internal.get(message.id);
      if (waiter) {
        waiter(message);
        return;
      }
      const entry = this.pending.get(message.id);
      if (!entry) return; // its client went away
      this.pending.delete(message.id);
      if (entry.token !== undefined) this.progress.delete(entry.token);
      entry.client.deliver({ ...message, id: entry.id });
      return;
    }
    if (isRequest(message)) {
      if (message.method === "ping") {
        this.process?.send({ jsonrpc: "2.0", id: message.id, result: {} });
      } else if (this.options.shared || this.clients.size !== 1) {
        this.process?.send(
          errorMessage(message.id, -32601, "the gateway relays no requests from a shared stdio server"),
        );
      } else {
        for (const client of this.clients.values()) client.deliver(message);
      }
      return;
    }
    const token = progressTokenOfNotification(message);
    if (token !== undefined) {
      const target = typeof token === "string" ? this.progress.get(token) : undefined;
      if (target) {
        const params = { ...(message.params as object), progressToken: target.token };
        target.client.deliver({ ...message, params });
      }
      return;
    }
    // Logging, list changes, resource updates: every session on the process hears them.
    for (const client of this.clients.values()) client.deliver(message);
  }

  private exited(process: StdioProcess, reason: string): void {
    if (this.process !== process) return;
    this.process = undefined;
    this.initResult = undefined;
    if (!this.stopped) {
      this.failed();
      this.deps.logger.warn(
        {
          server: this.server.name,
          pid: process.pid,
          reason,
          restartInMs: this.retryAt - this.deps.clock.now(),
        },
        "stdio server exited; the next call starts it again",
      );
    }
    this.failAll(`the stdio server ${reason}`);
  }

  private failed(): void {
    this.failures++;
    const delay = Math.min(this.options.backoffMs * 2 ** (this.failures - 1), this.options.backoffMaxMs);
    this.retryAt = this.deps.clock.now() + delay;
  }

  private failAll(why: string): void {
    for (const waiter of [...this.internal.values()]) waiter(undefined);
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.progress.clear();
    for (const entry of pending) entry.client.deliver(errorMessage(entry.id, -32000, why));
  }

  private channelIdOf(client: ChannelClient, requestId: unknown): number | undefined {
    if (typeof requestId !== "string" && typeof requestId !== "number") return undefined;
    const wanted = idKey(requestId);
    for (const [id, entry] of this.pending) {
      if (entry.client === client && idKey(entry.id) === wanted) return id;
    }
    return undefined;
  }
}

function withToken(message: JsonRpcMessage, token: string): unknown {
  const params = message.params as { _meta?: Record<string, unknown> } & Record<string, unknown>;
  return { ...params, _meta: { ...params._meta, progressToken: token } };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
