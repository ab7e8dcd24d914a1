import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { KeyStore } from "../../oauth/keys.ts";
import type { ResourceCatalog } from "../../oauth/resources.ts";
import type { BackendAuth } from "../backend-auth.ts";
import type { CachedBearer } from "../bearer-cache.ts";
import type { ServerRegistry } from "../registry.ts";
import { type StdioProcessPool, stdioClientTransport } from "../stdio/index.ts";
import type { BackendAddressGuard } from "../url-guard.ts";
import { type AccessDecider, ServerAccess } from "./access.ts";
import type { ListKind } from "./backend-connection.ts";
import { backendHeaders } from "./backend-headers.ts";
import { CapabilityCache } from "./capabilities.ts";
import { NamedCatalog, PROMPTS, TOOLS } from "./catalog.ts";
import { AggregateCompletion } from "./completion.ts";
import { BackendConnections } from "./connections.ts";
import { AggregateEndpoint } from "./endpoint.ts";
import { AggregateLogging } from "./logging.ts";
import { AggregatePrompts } from "./prompts.ts";
import { AggregateResources } from "./resources.ts";
import { NamedRouter } from "./routing.ts";
import { AggregateSession } from "./session.ts";
import { MemoryAggregateSessionStore } from "./session-store.ts";
import { AggregateTools } from "./tools.ts";

export interface AggregateDeps {
  registry: ServerRegistry;
  backendAuth: BackendAuth;
  bearer: CachedBearer;
  resources: ResourceCatalog;
  keys: KeyStore;
  addressGuard: BackendAddressGuard;
  clock: Clock;
  logger: Logger;
  /** The processes of stdio servers. */
  stdio: StdioProcessPool;
  /** The access policy (grants with tool rules), as the per-server proxy applies it. */
  policy?: AccessDecider;
}

export interface AggregateOptions {
  publicUrl: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
  sseKeepAliveMs: number;
  userAssertionSeconds: number;
  separator: string;
  sessionIdleMs: number;
  sessionMax: number;
  sessionMaxPerUser: number;
  eventBuffer: number;
  pageSize: number;
}

export interface Aggregate {
  endpoint: AggregateEndpoint;
  close(): Promise<void>;
}

/**
 * The aggregated endpoint `/mcp`. Unlike the per-server proxy it terminates MCP: each client
 * session is the SDK's own `Server` on `WebStandardStreamableHTTPServerTransport` (web `Request`
 * and `Response`, as Bun and Elysia use), and each backend is reached through the SDK's `Client`.
 * Why the SDK and not a JSON-RPC layer of our own: initialize and version negotiation, ping,
 * request/response correlation over SSE streams, the standalone GET stream, progress tokens and
 * cancellation (`notifications/cancelled` both ways) are what the SDK already does to the letter of
 * the spec; the gateway adds only what is its own (tokens, sessions bound to users, limits, the
 * merged catalog). None of this code runs for `/mcp/{server}`.
 */
export function createAggregate(deps: AggregateDeps, options: AggregateOptions): Aggregate {
  const { registry, logger } = deps;
  const access = new ServerAccess(registry, deps.policy);
  const catalogs = {
    tools: new NamedCatalog(TOOLS, options.separator, logger),
    prompts: new NamedCatalog(PROMPTS, options.separator, logger),
  };
  const capabilities = new CapabilityCache(logger);
  const tools = new AggregateTools(
    new NamedRouter(access, catalogs.tools, options.separator, logger, (server, caller) =>
      access.toolFilter(server, caller),
    ),
    logger,
    options.pageSize,
  );
  const promptRouter = new NamedRouter(access, catalogs.prompts, options.separator, logger);
  const prompts = new AggregatePrompts(promptRouter, logger, options.pageSize);
  const resources = new AggregateResources(access, logger, options.pageSize);
  const completion = new AggregateCompletion(promptRouter, resources, logger);
  const logging = new AggregateLogging(logger);
  const sessions = new MemoryAggregateSessionStore(deps.clock, {
    idleMs: options.sessionIdleMs,
    max: options.sessionMax,
    maxPerUser: options.sessionMaxPerUser,
  });

  const listChanged = (serverId: string, kind: ListKind) => {
    if (kind !== "resources") catalogs[kind].invalidate(serverId);
    for (const session of sessions.all()) session.listChanged(kind);
  };
  registry.onChange((serverId) => {
    capabilities.invalidate(serverId);
    for (const session of sessions.all()) session.dropServer(serverId);
    listChanged(serverId, "tools");
    listChanged(serverId, "prompts");
    listChanged(serverId, "resources");
  });

  const headerDeps = {
    backendAuth: deps.backendAuth,
    keys: deps.keys,
    clock: deps.clock,
    publicUrl: options.publicUrl,
    userAssertionSeconds: options.userAssertionSeconds,
  };
  const endpoint = new AggregateEndpoint(
    {
      bearer: deps.bearer,
      resources: deps.resources,
      sessions,
      logger,
      newSession: async (owner, caller, protocolVersion, clientCapabilities) => {
        const connections = new BackendConnections(caller, {
          clientCapabilities,
          stdioTransport: (server, key) => stdioClientTransport(deps.stdio, server, key),
          addressGuard: deps.addressGuard,
          logger,
          headers: (server, current) => backendHeaders(server, current, headerDeps),
          onListChanged: listChanged,
        });
        return new AggregateSession({
          owner,
          protocolVersion,
          capabilities: await capabilities.union(access.servers(caller), connections),
          connections,
          sseKeepAliveMs: options.sseKeepAliveMs,
          eventBuffer: options.eventBuffer,
          install: (server, session) => {
            tools.install(server, session);
            const offered = session.capabilities;
            if (offered.prompts) prompts.install(server, session);
            if (offered.resources) resources.install(server, session);
            if (offered.completions) completion.install(server, session);
            if (offered.logging) logging.install(server, session);
          },
          onOpened: (session) => sessions.add(session),
          onClosed: (session) => sessions.delete(session.id),
        });
      },
    },
    {
      publicUrl: options.publicUrl,
      allowedOrigins: options.allowedOrigins,
      maxBodyBytes: options.maxBodyBytes,
    },
  );
  return { endpoint, close: () => sessions.closeAll() };
}
