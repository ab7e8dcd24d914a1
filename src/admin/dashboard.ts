import type { AppContext } from "../context.ts";

/** What the dashboard shows: user counts and the URLs clients are pointed at. */
export function dashboardData(ctx: AppContext) {
  const all = ctx.users.list();
  const base = ctx.config.publicUrl;
  return {
    counts: {
      users: all.length,
      active: all.filter((u) => u.isActive).length,
      admins: all.filter((u) => u.isAdmin && u.isActive).length,
    },
    endpoints: {
      mcp: `${base}/mcp`,
      protectedResource: `${base}/.well-known/oauth-protected-resource/mcp`,
      authorizationServer: `${base}/.well-known/oauth-authorization-server`,
      jwks: `${base}/.well-known/jwks.json`,
    },
  };
}
