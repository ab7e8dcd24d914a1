import { count, eq } from "drizzle-orm";
import type { ActivityModule } from "../audit/activity/module.ts";
import type { StoredSecurityEvent } from "../audit/security-events/store.ts";
import type { AppContext } from "../context.ts";
import { oauthClients } from "../db/schema/oauth.ts";
import type { ServerHealth } from "../gateway/health.ts";
import type { Gateway } from "../gateway/module.ts";
import { type ClientConfig, clientConfigs } from "./client-config.ts";
import { activityByHour, type HourOfActivity } from "./pages/activity-hourly.ts";

/** How many of the newest security events the dashboard lists (the full log is in the API). */
const RECENT_SECURITY_EVENTS = 8;

/** A backend server as the dashboard lists it: where clients connect, its health, how to configure them. */
export interface DashboardServer {
  name: string;
  displayName: string;
  /** `{publicUrl}/mcp/{name}`: the URL MCP clients are pointed at. */
  url: string;
  enabled: boolean;
  health: ServerHealth;
  clients: ClientConfig[];
}

/** A security event as the dashboard lists it, with its user's name when there is one. */
export type DashboardSecurityEvent = StoredSecurityEvent & { username: string | null };

/** The write queues between the requests and the database, and the open live feeds. */
export interface QueueHealth {
  /** False when MCP_LOG_DB_ENABLED=false (no activity queue). */
  activityStored: boolean;
  activityDepth: number;
  activityDropped: number;
  securityDepth: number;
  securityDropped: number;
  liveStreams: number;
}

/** The OAuth clients by how they came: registered dynamically, by an admin, from the config file. */
function clientCounts(ctx: AppContext) {
  const rows = ctx.db
    .select({ source: oauthClients.source, n: count() })
    .from(oauthClients)
    .groupBy(oauthClients.source)
    .all();
  const pending =
    ctx.db.select({ n: count() }).from(oauthClients).where(eq(oauthClients.status, "pending")).get()?.n ?? 0;
  const of = (source: string) => rows.find((r) => r.source === source)?.n ?? 0;
  return {
    total: rows.reduce((sum, r) => sum + r.n, 0),
    dynamic: of("dynamic"),
    preRegistered: of("admin") + of("config"),
    pending,
  };
}

/**
 * The last 24 hours of stored MCP activity by hour, or undefined when activity is not stored.
 * The queue is written first, so the requests made just before this view are counted.
 */
function traffic(ctx: AppContext, activity: ActivityModule): HourOfActivity[] | undefined {
  if (activity.queue === undefined) return undefined;
  activity.queue.flush();
  return activityByHour(activity.store, ctx.clock.now());
}

/** What the dashboard shows: counts, traffic, security events, queue health, servers and URLs. */
export function dashboardData(ctx: AppContext, gateway: Gateway, activity: ActivityModule) {
  const all = ctx.users.list();
  const base = ctx.config.publicUrl;
  const servers: DashboardServer[] = gateway.registry
    .list()
    .map((server) => {
      const url = ctx.resources.serverResource(server.name);
      return {
        name: server.name,
        displayName: server.displayName,
        url,
        enabled: server.enabled,
        health: gateway.health.get(server.id),
        clients: clientConfigs(server.name, url, base),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    counts: {
      users: all.length,
      active: all.filter((u) => u.isActive).length,
      admins: all.filter((u) => u.isAdmin && u.isActive).length,
    },
    clients: clientCounts(ctx),
    traffic: traffic(ctx, activity),
    securityEvents: ctx.securityLog.page({}, RECENT_SECURITY_EVENTS, 0).rows.map(
      (event): DashboardSecurityEvent => ({
        ...event,
        username: event.userId === null ? null : (ctx.users.principal(event.userId)?.username ?? null),
      }),
    ),
    queues: {
      activityStored: activity.queue !== undefined,
      activityDepth: activity.queue?.depth ?? 0,
      activityDropped: activity.queue?.dropped ?? 0,
      securityDepth: ctx.securityLog.depth,
      securityDropped: ctx.securityLog.dropped,
      liveStreams: activity.streams.count,
    } satisfies QueueHealth,
    servers,
    // `/mcp`: every server the signed-in user may use, at one URL.
    aggregate: {
      url: ctx.resources.aggregate,
      separator: ctx.config.aggregateToolSeparator,
      clients: clientConfigs("authmcp", ctx.resources.aggregate, base),
    },
    endpoints: {
      authorizationServer: `${base}/.well-known/oauth-authorization-server`,
      jwks: `${base}/.well-known/jwks.json`,
    },
  };
}
