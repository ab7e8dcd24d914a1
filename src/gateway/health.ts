import type { Clock } from "../clock.ts";
import { isEventStream } from "../http/event-stream.ts";
import type { Logger } from "../logger.ts";
import type { BackendAuth } from "./backend-auth.ts";
import { type JsonRpcMessage, parseMessage } from "./legacy-sse/messages.ts";
import { LegacySession } from "./legacy-sse/session.ts";
import { readSseEvents } from "./legacy-sse/sse-reader.ts";
import { LegacyUpstream } from "./legacy-sse/upstream.ts";
import type { ServerRegistry } from "./registry.ts";
import type { StdioProcessPool } from "./stdio/pool.ts";
import { openStdioSession } from "./stdio/session.ts";
import type { McpServer } from "./types.ts";
import type { BackendAddressGuard } from "./url-guard.ts";

export interface ServerHealth {
  status: "online" | "degraded" | "offline" | "unknown";
  checkedAt?: number;
  latencyMs?: number;
  lastError?: string;
}

const PROTOCOL_VERSION = "2025-06-18";
const LEGACY_PROTOCOL_VERSION = "2024-11-05";
const INITIALIZE_PARAMS = {
  protocolVersion: LEGACY_PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: "authmcp-gateway-health", version: "1" },
};
/** A health check reads an initialize result and a ping answer: nothing near this size. */
const HEALTH_MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Periodic backend checks: initialize, notifications/initialized, ping, then DELETE of the session.
 * online when all answer in time, degraded when slow or the ping fails after a good initialize,
 * offline otherwise. Results live in memory; the gateway stays ready whatever they say.
 */
export class HealthMonitor {
  private readonly results = new Map<string, ServerHealth>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners: ((
    server: McpServer,
    result: ServerHealth,
    previous: ServerHealth | undefined,
  ) => void)[] = [];

  constructor(
    private readonly registry: ServerRegistry,
    private readonly backendAuth: BackendAuth,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: {
      intervalMs: number;
      degradedMs: number;
      addressGuard: BackendAddressGuard;
      stdio: StdioProcessPool;
    },
  ) {
    registry.onChange((id) => this.results.delete(id));
  }

  /** Called after each check of a server that still exists (the aggregated catalog refreshes on it). */
  onResult(
    listener: (server: McpServer, result: ServerHealth, previous: ServerHealth | undefined) => void,
  ): void {
    this.listeners.push(listener);
  }

  get(serverId: string): ServerHealth {
    return this.results.get(serverId) ?? { status: "unknown" };
  }

  /** Starts the periodic checks (the CLI's start calls this); returns the stop function. */
  start(): () => void {
    if (this.timer === undefined) {
      void this.checkAll();
      this.timer = setInterval(() => void this.checkAll(), this.options.intervalMs);
    }
    return () => this.stop();
  }

  /**
   * A server added, changed or re-enabled is checked at once while periodic checks run, instead of
   * showing "unknown" (or its old URL's result) until the next interval; a removed one is forgotten.
   */
  serverChanged(serverId: string): void {
    if (this.timer === undefined) return;
    const server = this.registry.byId(serverId);
    if (!server) {
      this.results.delete(serverId);
      return;
    }
    if (server.enabled) void this.check(server);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async checkAll(): Promise<void> {
    await Promise.all(
      this.registry
        .list()
        .filter((s) => s.enabled)
        .map((s) => this.check(s)),
    );
  }

  summary(): Record<string, unknown> {
    const counts = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    for (const server of this.registry.list()) {
      if (server.enabled) counts[this.get(server.id).status]++;
    }
    return { backends: counts };
  }

  async check(server: McpServer): Promise<ServerHealth> {
    const started = performance.now();
    let result: ServerHealth;
    try {
      const pingError =
        server.transport === "stdio" ? await this.checkStdio(server) : await this.checkHttp(server);
      const latencyMs = Math.round(performance.now() - started);
      result = {
        status: pingError || latencyMs > this.options.degradedMs ? "degraded" : "online",
        checkedAt: this.clock.now(),
        latencyMs,
        lastError: pingError,
      };
    } catch (error) {
      // Checked without a person, a backend that acts with each person's upstream token refuses
      // the check: it answered, so it is up (offline would hide it from every aggregated list).
      const needsPerson =
        server.credentialKind === "upstream_user_token" && /^HTTP 40[13]$/.test(message(error));
      result = {
        status: needsPerson ? "online" : "offline",
        checkedAt: this.clock.now(),
        latencyMs: Math.round(performance.now() - started),
        lastError: message(error),
      };
    }
    const previous = this.results.get(server.id);
    if (previous && previous.status !== result.status) {
      this.logger.info(
        { server: server.name, from: previous.status, to: result.status },
        "backend health changed",
      );
    }
    if (this.registry.byId(server.id)) {
      this.results.set(server.id, result);
      for (const listener of this.listeners) listener(server, result, previous);
    }
    return result;
  }

  private async checkHttp(server: McpServer): Promise<string | undefined> {
    const address = await this.options.addressGuard.verdict(server.url);
    if (address.problem !== undefined) throw new Error(`backend address refused: ${address.problem}`);
    const credential = await this.backendAuth.headers(server.id);
    return server.transport === "sse"
      ? await this.checkLegacy(server, credential)
      : await this.checkStreamable(server, credential);
  }

  /**
   * initialize and ping through the server's process (started when it does not run; in session
   * mode a process of the check's own, stopped afterwards).
   */
  private async checkStdio(server: McpServer): Promise<string | undefined> {
    const session = openStdioSession(
      this.options.stdio,
      server,
      {
        id: `health-${this.clock.now()}-${Math.random()}`,
        owner: "health",
        maxBacklog: 0,
        now: this.clock.now(),
      },
      (closed, reason) => closed.close(reason),
    );
    return this.initializeAndPing(session, {}, server.timeoutMs);
  }

  /** initialize, notifications/initialized, ping, DELETE; resolves to the ping's error, if any. */
  private async checkStreamable(
    server: McpServer,
    credential: Record<string, string>,
  ): Promise<string | undefined> {
    const base = {
      ...credential,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
    };
    const init = await this.call(server, base, {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "authmcp-gateway-health", version: "1" },
      },
    });
    const sessionId = init.headers.get("mcp-session-id");
    const withSession: Record<string, string> = {
      ...base,
      "MCP-Protocol-Version": PROTOCOL_VERSION,
      ...(sessionId ? { "Mcp-Session-Id": sessionId } : {}),
    };
    let pingError: string | undefined;
    try {
      await this.call(server, withSession, { jsonrpc: "2.0", method: "notifications/initialized" }, true);
      await this.call(server, withSession, { jsonrpc: "2.0", id: 2, method: "ping" });
    } catch (error) {
      pingError = message(error);
    }
    if (sessionId) {
      await fetch(server.url, {
        method: "DELETE",
        headers: withSession,
        redirect: "manual",
        signal: AbortSignal.timeout(server.timeoutMs),
      })
        .then((r) => r.body?.cancel())
        .catch(() => {});
    }
    return pingError;
  }

  /** The same over the legacy HTTP+SSE transport: one SSE connection, closed afterwards. */
  private async checkLegacy(
    server: McpServer,
    credential: Record<string, string>,
  ): Promise<string | undefined> {
    const session = new LegacySession("health", server.id, server.name, "health", 0, this.clock.now());
    const upstream = await LegacyUpstream.open(
      server.url,
      credential,
      { timeoutMs: server.timeoutMs, maxMessageBytes: HEALTH_MAX_MESSAGE_BYTES },
      (message) => session.deliver(message),
      (reason) => session.close(reason),
    );
    session.attach(upstream);
    return this.initializeAndPing(session, credential, server.timeoutMs);
  }

  /** initialize, notifications/initialized and ping on a bridged session, then closes it. */
  private async initializeAndPing(
    session: LegacySession,
    credential: Record<string, string>,
    timeoutMs: number,
  ): Promise<string | undefined> {
    const limits = { timeoutMs };
    try {
      const init = await session.request(
        { jsonrpc: "2.0", id: 1, method: "initialize", params: INITIALIZE_PARAMS },
        credential,
        limits,
      );
      if (!init || init.error !== undefined || init.result === undefined)
        throw new Error(rpcFailure(init, "initialize"));
      try {
        await session.post({ jsonrpc: "2.0", method: "notifications/initialized" }, credential);
        const ping = await session.request({ jsonrpc: "2.0", id: 2, method: "ping" }, credential, limits);
        if (!ping || ping.error !== undefined) return rpcFailure(ping, "ping");
        return undefined;
      } catch (error) {
        return message(error);
      }
    } finally {
      session.close("health check done");
    }
  }

  private async call(
    server: McpServer,
    headers: Record<string, string>,
    message: unknown,
    notification = false,
  ): Promise<Response> {
    const response = await fetch(server.url, {
      method: "POST",
      headers,
      body: JSON.stringify(message),
      // Never followed: fetch keeps custom headers (the backend credential) across origins.
      redirect: "manual",
      signal: AbortSignal.timeout(server.timeoutMs),
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${response.status}: the backend redirects; redirects are not followed`);
    }
    if (!response.ok || notification) {
      await response.body?.cancel().catch(() => {});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response;
    }
    const parsed = (
      response.body !== null && isEventStream(response.headers.get("content-type"))
        ? await firstAnswer(response.body)
        : JSON.parse(await response.text())
    ) as { result?: unknown; error?: { message?: string } } | null;
    if (!parsed || parsed.error || parsed.result === undefined) {
      throw new Error(parsed?.error?.message ?? "no JSON-RPC result");
    }
    return response;
  }
}

/** The first JSON-RPC message with an id in an SSE body, or null when none comes. */
async function firstAnswer(body: ReadableStream<Uint8Array>): Promise<JsonRpcMessage | null> {
  for await (const event of readSseEvents(body, HEALTH_MAX_MESSAGE_BYTES)) {
    const message = parseMessage(event.data);
    if (message?.id !== undefined) return message;
  }
  return null;
}

function rpcFailure(answer: JsonRpcMessage | undefined, what: string): string {
  if (!answer) return `no answer to ${what}`;
  const error = answer.error as { message?: unknown } | undefined;
  return typeof error?.message === "string" ? error.message : `no JSON-RPC result to ${what}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
