import type { AppContext } from "../context.ts";
import type { ServerHealth } from "../gateway/health.ts";
import type { Gateway } from "../gateway/module.ts";
import { type ClientConfig, clientConfigs } from "./client-config.ts";

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

/** What the dashboard shows: user counts, the servers clients can use, and the discovery URLs. */
export function dashboardData(ctx: AppContext, gateway: Gateway) {
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
