import type { AppContext } from "../context.ts";
import { BackendAuth } from "./backend-auth.ts";
import { CachedBearer } from "./bearer-cache.ts";
import { HealthMonitor } from "./health.ts";
import { LegacySseBridge } from "./legacy-sse/bridge.ts";
import { McpProxy } from "./proxy.ts";
import { ServerRegistry } from "./registry.ts";
import { RegistryStore } from "./registry-store.ts";
import { MemorySessionStore, type SessionStore } from "./sessions.ts";
import { UpstreamWatch } from "./upstream-watch.ts";
import { BackendAddressGuard } from "./url-guard.ts";

/** The MCP gateway's services, built once per context. */
export interface Gateway {
  registry: ServerRegistry;
  backendAuth: BackendAuth;
  sessions: SessionStore;
  health: HealthMonitor;
  proxy: McpProxy;
  /** Where backend and backend token URLs may lead (checked on save and before connecting). */
  addressGuard: BackendAddressGuard;
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
  const health = new HealthMonitor(registry, backendAuth, ctx.clock, ctx.logger, {
    addressGuard,
    intervalMs: config.healthCheckIntervalMs,
    degradedMs: config.healthDegradedMs,
  });
  const legacy = new LegacySseBridge(sessions, ctx.clock, ctx.logger, {
    maxSessions: config.legacySseMaxSessions,
    maxSessionsPerUser: config.legacySseMaxSessionsPerUser,
    idleMs: config.mcpSessionTtlMs,
    maxBacklog: config.legacySseBacklog,
    maxMessageBytes: config.legacySseMaxMessageBytes,
    sseKeepAliveMs: config.sseKeepAliveMs,
  });
  ctx.onClose(() => legacy.closeAll());
  registry.onChange((id) => legacy.closeServer(id));
  const upstreamWatch = new UpstreamWatch(config.upstreamWatchIntervalMs);
  ctx.onClose(() => upstreamWatch.close());
  const proxy = new McpProxy(
    {
      registry,
      backendAuth,
      sessions,
      legacy,
      bearer: new CachedBearer(ctx.bearer, ctx.revocations, ctx.users, ctx.clock, config.tokenCacheMax),
      resources: ctx.resources,
      keys: ctx.keys,
      upstreamWatch,
      addressGuard,
      clock: ctx.clock,
      logger: ctx.logger,
    },
    {
      publicUrl: config.publicUrl,
      allowedOrigins: config.allowedOrigins,
      maxBodyBytes: config.maxBodyBytes,
      sseKeepAliveMs: config.sseKeepAliveMs,
      userAssertionSeconds: config.userAssertionSeconds,
    },
  );
  let started = false;
  return {
    registry,
    backendAuth,
    sessions,
    health,
    proxy,
    addressGuard,
    startHealthChecks: () => {
      if (started) return;
      started = true;
      ctx.onClose(health.start());
    },
  };
}
