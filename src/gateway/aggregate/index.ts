import type { ActivitySink } from "../../audit/activity/types.ts";
import type { PinGate, ToolPinning } from "../../audit/pinning/service.ts";
import type { SecurityEventSink } from "../../audit/security-events/types.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { KeyStore } from "../../oauth/keys.ts";
import type { ResourceCatalog } from "../../oauth/resources.ts";
import type { PolicyChange } from "../../policy/access-policy.ts";
import type { McpRateLimits } from "../../policy/rate-limits/mcp.ts";
import type { BackendAuth } from "../backend-auth.ts";
import type { CachedBearer } from "../bearer-cache.ts";
import type { ServerHealth } from "../health.ts";
import type { OpenStreams } from "../open-streams.ts";
import type { ServerRegistry } from "../registry.ts";
import { type StdioProcessPool, stdioClientTransport } from "../stdio/index.ts";
import type { McpServer } from "../types.ts";
import type { UpstreamWatch } from "../upstream-watch.ts";
import type { BackendAddressGuard } from "../url-guard.ts";
import { type AccessDecider, ServerAccess } from "./access.ts";
import { AggregateAudit } from "./audit.ts";
import type { ListKind } from "./backend-connection.ts";
import { backendHeaders } from "./backend-headers.ts";
import { CapabilityCache } from "./capabilities.ts";
import { NamedCatalog, PROMPTS, TOOLS } from "./catalog.ts";
import { AggregateCompletion } from "./completion.ts";
import { BackendConnections } from "./connections.ts";
import { AggregateEndpoint } from "./endpoint.ts";
import { LeanPath } from "./lean.ts";
import { AggregateLogging } from "./logging.ts";
import { AggregatePrompts } from "./prompts.ts";
import { RequestRoutes } from "./request-route.ts";
import { AggregateResources } from "./resources.ts";
import { errorText, NamedRouter } from "./routing.ts";
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
  /** The client's address of a request (network allow-lists: `ServerAccess.allows`). */
  clientIp?: (request: Request) => string;
  /** MCP requests per user and server (`ctx.rateLimits.mcpEnforced`); undefined when limits are off. */
  rateLimits?: McpRateLimits;
  /** Where every request's activity row goes (`ctx.activity`). */
  activity?: ActivitySink;
  /** Where session hijacks, denied tools and rate-limit refusals go (`ctx.securityEvents`). */
  securityEvents?: SecurityEventSink;
  /** Tool-definition pinning: reviews each fetched tool list, hides blocked tools (src/audit/pinning). */
  pinning?: ToolPinning;
  /** Counts the SSE answers open to clients (the `/metrics` gauge). */
  sseStreams?: OpenStreams;
  /** Deadlines and client departures of backend calls, one sweep for all (shared with the proxy). */
  upstreamWatch: UpstreamWatch;
}

type ToolFilter = (tool: string) => boolean;

/**
 * The grant's tool rule, and (block-changed) the tools pinning blocks: hidden and refused like
 * denied ones. The same function comes back while the rule and the pinning state are the same:
 * a session's cached `tools/list` page is kept only while its filters are (`sameView`).
 */
function pinnedFilters() {
  /** Stands for "no grant rule" as a key. */
  const ALL: ToolFilter = () => true;
  /** Per grant rule, per server: the last combined filter and the pinning generation it was made in. */
  const memo = new WeakMap<ToolFilter, Map<string, { generation: number; filter: ToolFilter }>>();
  return (serverId: string, allowed: ToolFilter | undefined, pin: PinGate | undefined) => {
    if (pin === undefined || pin.mode !== "block-changed") return allowed;
    let byServer = memo.get(allowed ?? ALL);
    if (byServer === undefined) {
      byServer = new Map();
      memo.set(allowed ?? ALL, byServer);
    }
    const known = byServer.get(serverId);
    if (known !== undefined && known.generation === pin.generation) return known.filter;
    const filter: ToolFilter = (tool) => (allowed === undefined || allowed(tool)) && !pin.blocked(tool);
    byServer.set(serverId, { generation: pin.generation, filter });
    return filter;
  };
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
  /** A `tools/list` page at least this large goes gzip-encoded to clients that take it; 0: never. */
  listGzipMinBytes: number;
  /**
   * A cached tool or prompt list older than this is fetched again on a successful health check,
   * unless its backend announces its changes itself (`listChanged`).
   */
  catalogStaleMs: number;
}

export interface Aggregate {
  endpoint: AggregateEndpoint;
  /**
   * Access changed for these users (or all): their sessions close their connections to servers
   * they may no longer use and hear `list_changed`; their next lists are decided afresh.
   */
  permissionsChanged(users: PolicyChange): void;
  /**
   * A health check of a server ended. Offline: its tools and prompts leave the lists (not asked
   * until it is back) and the sessions that may use it hear `list_changed`. Back online: its lists
   * are fetched again. Online and a cached list stale: fetched again. Announced only when a list
   * changed; nothing is asked of a backend otherwise.
   */
  healthChecked(server: McpServer, result: ServerHealth): Promise<void>;
  /** The cached tool and prompt lists of the backends (the admin's server page reads them). */
  catalogs: { tools: NamedCatalog; prompts: NamedCatalog };
  /** Open client sessions of `/mcp`. */
  sessionCount(): number;
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
    tools: new NamedCatalog(
      TOOLS,
      options.separator,
      logger,
      () => deps.clock.now(),
      (server, items) => deps.pinning?.gate(server.id, server.name)?.review(items),
    ),
    prompts: new NamedCatalog(PROMPTS, options.separator, logger, () => deps.clock.now()),
  };
  const capabilities = new CapabilityCache(logger);
  const audit = new AggregateAudit(deps.clock, deps.activity, deps.securityEvents);
  const pinnedFilter = pinnedFilters();
  const tools = new AggregateTools(
    new NamedRouter(
      access,
      catalogs.tools,
      options.separator,
      logger,
      (server, caller) =>
        pinnedFilter(
          server.id,
          access.toolFilter(server, caller),
          deps.pinning?.gate(server.id, server.name),
        ),
      (session, server, name) => audit.permissionDenied(undefined, session.caller, server.name, name),
      (session, server, name) => {
        // Named only when the grant allows the tool: a denied one stays "unknown".
        const allowed = access.toolFilter(server, session.caller);
        if (allowed !== undefined && !allowed(name)) return undefined;
        return deps.pinning?.gate(server.id, server.name)?.refusal(name);
      },
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
    access.markOffline(serverId, false);
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
      clientIp: deps.clientIp,
      audit,
      routes: new RequestRoutes(tools, promptRouter, resources),
      lean: new LeanPath(tools, { listGzipMinBytes: options.listGzipMinBytes }),
      rateLimits: deps.rateLimits,
      sseStreams: deps.sseStreams,
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
          watch: deps.upstreamWatch,
        });
      },
    },
    {
      publicUrl: options.publicUrl,
      allowedOrigins: options.allowedOrigins,
      maxBodyBytes: options.maxBodyBytes,
    },
  );

  const announce = (server: McpServer, kinds: ListKind[]) => {
    if (kinds.length === 0) return;
    for (const session of sessions.all()) {
      if (!access.allows(server, session.caller)) continue;
      for (const kind of kinds) session.listChanged(kind);
    }
  };

  const permissionsChanged = (users: PolicyChange) => {
    const only = users === "all" ? undefined : new Set(users);
    for (const session of sessions.all()) {
      if (only && !only.has(session.owner)) continue;
      for (const connection of session.connectionsNow()) {
        if (!access.allows(connection.server, session.caller)) session.dropServer(connection.server.id);
      }
      session.listChanged("tools");
      session.listChanged("prompts");
      session.listChanged("resources");
    }
  };

  const refreshing = new Set<string>();
  const healthChecked = async (server: McpServer, result: ServerHealth) => {
    // A server changed since the check began was re-listed and announced by its change.
    if (registry.byId(server.id) !== server) return;
    if (result.status === "offline") {
      if (!access.markOffline(server.id, true)) return;
      const kinds: ListKind[] = [];
      for (const kind of ["tools", "prompts"] as const) {
        if ((catalogs[kind].cached(server.id)?.items.length ?? 0) > 0) kinds.push(kind);
        catalogs[kind].invalidate(server.id);
      }
      if (capabilities.known(server.id)?.resources) kinds.push("resources");
      announce(server, kinds);
      return;
    }
    const cameBack = access.markOffline(server.id, false);
    const offered = capabilities.known(server.id);
    const kinds = (["tools", "prompts"] as const).filter((kind) => {
      if (cameBack) return true;
      const age = catalogs[kind].age(server.id);
      if (age === undefined || age < options.catalogStaleMs) return false;
      // A backend that announces its list changes is believed: its cached list is current.
      return !offered?.[kind]?.listChanged;
    });
    if (kinds.length === 0 || refreshing.has(server.id)) return;
    const session = [...sessions.all()].find((one) => access.allows(server, one.caller));
    if (!session) {
      // Nobody to tell: the next list fetches them.
      for (const kind of kinds) catalogs[kind].invalidate(server.id);
      return;
    }
    refreshing.add(server.id);
    try {
      const connection = session.connection(server);
      const changed: ListKind[] = [];
      for (const kind of kinds) {
        try {
          if (await catalogs[kind].refresh(connection)) changed.push(kind);
        } catch (error) {
          logger.debug({ server: server.name, kind, err: errorText(error) }, "catalog refresh failed");
          catalogs[kind].invalidate(server.id);
        }
      }
      if (cameBack && capabilities.known(server.id)?.resources) changed.push("resources");
      announce(server, changed);
    } finally {
      refreshing.delete(server.id);
    }
  };

  return {
    endpoint,
    permissionsChanged,
    healthChecked,
    catalogs,
    sessionCount: () => sessions.size,
    close: () => sessions.closeAll(),
  };
}
