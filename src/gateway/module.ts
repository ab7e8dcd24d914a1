import { ToolPinning } from "../audit/pinning/service.ts";
import { PinningStore } from "../audit/pinning/store.ts";
import type { AppContext } from "../context.ts";
import { AccessPolicy } from "../policy/access-policy.ts";
import { GroupService } from "../policy/groups.ts";
import { configNetworkLists, NetworkPolicy } from "../policy/network-policy.ts";
import { NetworkStore } from "../policy/network-store.ts";
import { PolicyStore } from "../policy/policy-store.ts";
import { type Aggregate, createAggregate } from "./aggregate/index.ts";
import { BackendAuth } from "./backend-auth.ts";
import { CachedBearer } from "./bearer-cache.ts";
import { HealthMonitor } from "./health.ts";
import { LegacySseBridge } from "./legacy-sse/bridge.ts";
import { OpenStreams } from "./open-streams.ts";
import { McpProxy } from "./proxy.ts";
import { configId, ServerRegistry } from "./registry.ts";
import { RegistryStore } from "./registry-store.ts";
import { MemorySessionStore, type SessionStore } from "./sessions.ts";
import { StdioBridge, StdioProcessPool } from "./stdio/index.ts";
import { UpstreamWatch } from "./upstream-watch.ts";
import { BackendAddressGuard } from "./url-guard.ts";

/** The MCP gateway's services, built once per context. */
export interface Gateway {
  registry: ServerRegistry;
  backendAuth: BackendAuth;
  sessions: SessionStore;
  health: HealthMonitor;
  proxy: McpProxy;
  /** Who may use which server and tool (grants to users and groups). */
  policy: AccessPolicy;
  groups: GroupService;
  /** The processes of stdio servers (`stdioClientTransport` in ./stdio/index.ts opens a session on one). */
  stdio: StdioProcessPool;
  /** The aggregated endpoint `/mcp` (never on the per-server path). */
  aggregate: Aggregate;
  /** Where backend and backend token URLs may lead (checked on save and before connecting). */
  addressGuard: BackendAddressGuard;
  /** Tool-definition pinning per server (src/audit/pinning). */
  pinning: ToolPinning;
  /** SSE answers open to clients on both endpoints (the `/metrics` gauge). */
  sseStreams: OpenStreams;
  /** Starts periodic backend health checks (called by `start`, not in tests); stopped on close. */
  startHealthChecks(): void;
}

export function createGateway(ctx: AppContext): Gateway {
  const { config } = ctx;
  const registry = new ServerRegistry(
    new RegistryStore(ctx.db),
    ctx.secretBox,
    ctx.clock,
    config.mcpServices,
    config.upstreamTimeoutMs,
  );
  const policyStore = new PolicyStore(ctx.db);
  const networks: NetworkPolicy = new NetworkPolicy({
    store: new NetworkStore(ctx.db, () => ctx.clock.now()),
    configLists: configNetworkLists(config.mcpServices, configId),
    groupsOf: (userId) => policy.groupsOf(userId),
    clientIp: (request) => ctx.rateLimits.requestIp(request),
    events: ctx.securityEvents,
  });
  const policy: AccessPolicy = new AccessPolicy(policyStore, ctx.clock, (id) => registry.byId(id), networks);
  ctx.rateLimits.mcp.useGroups(policy);
  registry.useAccess(policy);
  registry.onChange((id) => policy.serverChanged(id));
  const groups = new GroupService(policyStore, policy, ctx.clock);
  ctx.resources.addServerLookup((name) => registry.byName(name) !== undefined);
  ctx.resources.addScopeSource({
    of: (name) => registry.byName(name)?.scopes,
    all: () => registry.list().flatMap((server) => server.scopes),
  });
  const addressGuard = new BackendAddressGuard(config.backendAllowedNetworks, () => ctx.clock.now(), {
    cacheMs: config.backendDnsCacheMs,
    resolve: ctx.resolveHost,
  });
  registry.onChange(() => addressGuard.clear());
  const backendAuth = new BackendAuth(registry, ctx.clock, ctx.logger, {
    addressGuard,
    refreshMarginMs: config.backendTokenRefreshMarginSeconds * 1000,
    retries: config.backendTokenRetries,
    backoffMs: config.backendTokenBackoffMs,
    timeoutMs: config.backendTokenTimeoutMs,
  });
  const sessions = new MemorySessionStore(
    ctx.clock,
    config.mcpSessionTtlMs,
    config.mcpSessionMax,
    config.mcpSessionMaxPerUser,
  );
  const stdio = new StdioProcessPool(registry, ctx.clock, ctx.logger, {
    mode: config.stdioProcessMode,
    limits: {
      maxLineBytes: config.stdioMaxLineBytes,
      stderrLineChars: config.stdioStderrLineChars,
      stopGraceMs: config.stdioStopGraceMs,
    },
    backoffMs: config.stdioRestartBackoffMs,
    backoffMaxMs: config.stdioRestartBackoffMaxMs,
  });
  const health = new HealthMonitor(registry, backendAuth, ctx.clock, ctx.logger, {
    addressGuard,
    stdio,
    intervalMs: config.healthCheckIntervalMs,
    degradedMs: config.healthDegradedMs,
  });
  const sseStreams = new OpenStreams();
  const legacy = new LegacySseBridge(sessions, ctx.clock, ctx.logger, {
    maxSessions: config.legacySseMaxSessions,
    maxSessionsPerUser: config.legacySseMaxSessionsPerUser,
    idleMs: config.mcpSessionTtlMs,
    maxBacklog: config.legacySseBacklog,
    maxMessageBytes: config.legacySseMaxMessageBytes,
    sseKeepAliveMs: config.sseKeepAliveMs,
    sseStreams,
  });
  ctx.onClose(() => legacy.closeAll());
  registry.onChange((id) => legacy.closeServer(id));
  const stdioBridge = new StdioBridge(stdio, sessions, ctx.clock, ctx.logger, {
    maxSessions: config.stdioMaxSessions,
    maxSessionsPerUser: config.stdioMaxSessionsPerUser,
    idleMs: config.mcpSessionTtlMs,
    maxBacklog: config.stdioBacklog,
    sseKeepAliveMs: config.sseKeepAliveMs,
    sseStreams,
  });
  // Registered before the others' close: run last, after the sessions using the processes ended.
  ctx.onClose(() => stdio.closeAll());
  ctx.onClose(() => stdioBridge.closeAll());
  registry.onChange((id) => {
    stdioBridge.closeServer(id);
    void stdio.stopServer(id);
  });
  ctx.users.onCredentialsEnded((userId) => sessions.deleteOwner(userId));
  const upstreamWatch = new UpstreamWatch(config.upstreamWatchIntervalMs);
  ctx.onClose(() => upstreamWatch.close());
  const bearer = new CachedBearer(ctx.bearer, ctx.revocations, ctx.users, ctx.clock, config.tokenCacheMax, {
    sink: ctx.securityEvents,
    clientIp: (request) => ctx.rateLimits.requestIp(request),
  });
  const pinning = new ToolPinning(new PinningStore(ctx.db), ctx.securityEvents, ctx.clock, ctx.logger, {
    defaultMode: config.toolPinningDefaultMode,
    descriptionMaxChars: config.auditDescriptionMaxChars,
  });
  registry.onChange((id) => {
    if (registry.byId(id) === undefined) pinning.forget(id);
  });
  const proxy = new McpProxy(
    {
      pinning,
      registry,
      backendAuth,
      sessions,
      legacy,
      stdio: stdioBridge,
      bearer,
      policy,
      resources: ctx.resources,
      keys: ctx.keys,
      upstreamWatch,
      addressGuard,
      rateLimits: ctx.rateLimits.mcpEnforced,
      clock: ctx.clock,
      logger: ctx.logger,
      activity: ctx.activity,
      clientIp: (request) => ctx.rateLimits.requestIp(request),
      securityEvents: ctx.securityEvents,
      sseStreams,
    },
    {
      publicUrl: config.publicUrl,
      allowedOrigins: config.allowedOrigins,
      maxBodyBytes: config.maxBodyBytes,
      sseKeepAliveMs: config.sseKeepAliveMs,
      userAssertionSeconds: config.userAssertionSeconds,
      toolsListMaxBytes: config.toolsListMaxBytes,
      activityScanChars: config.activityScanChars,
    },
  );
  const aggregate = createAggregate(
    {
      registry,
      backendAuth,
      bearer,
      resources: ctx.resources,
      keys: ctx.keys,
      addressGuard,
      clock: ctx.clock,
      logger: ctx.logger,
      stdio,
      policy,
      clientIp: (request) => ctx.rateLimits.requestIp(request),
      rateLimits: ctx.rateLimits.mcpEnforced,
      activity: ctx.activity,
      securityEvents: ctx.securityEvents,
      pinning,
      sseStreams,
      upstreamWatch,
    },
    {
      publicUrl: config.publicUrl,
      allowedOrigins: config.allowedOrigins,
      maxBodyBytes: config.maxBodyBytes,
      sseKeepAliveMs: config.sseKeepAliveMs,
      userAssertionSeconds: config.userAssertionSeconds,
      separator: config.aggregateToolSeparator,
      sessionIdleMs: config.aggregateSessionIdleMs,
      sessionMax: config.aggregateSessionMax,
      sessionMaxPerUser: config.aggregateSessionMaxPerUser,
      eventBuffer: config.aggregateEventBuffer,
      pageSize: config.aggregatePageSize,
      listGzipMinBytes: config.aggregateListGzipMinBytes,
      catalogStaleMs: config.healthCheckIntervalMs,
    },
  );
  ctx.onClose(() => aggregate.close());
  // Access or a backend's health changed: the aggregated sessions' lists follow (and are told).
  policy.onChange((users) => aggregate.permissionsChanged(users));
  ctx.users.onRoleChanged((userId) => policy.userChanged(userId));
  health.onResult((server, result) => void aggregate.healthChecked(server, result));
  registry.onChange((id) => health.serverChanged(id));
  let started = false;
  return {
    registry,
    backendAuth,
    sessions,
    health,
    proxy,
    policy,
    groups,
    stdio,
    aggregate,
    addressGuard,
    pinning,
    sseStreams,
    startHealthChecks: () => {
      if (started) return;
      started = true;
      ctx.onClose(health.start());
    },
  };
}
