import type { AppContext } from "../context.ts";

/**
 * Ends every credential of a user at once (account disabled, password reset, deleted), so that
 * their very next request fails whatever it carries: access tokens of every client through a
 * per-user cutoff the bearer check (and the proxy's token cache) compares with `iat`, refresh
 * tokens, browser sessions, and, through `onCredentialsEnded`, the MCP sessions they own.
 */
export function endUserCredentials(ctx: AppContext, userId: string): void {
  const maxLifetimeMs = (ctx.config.accessTokenMinutes * 60 + ctx.config.clockSkewSeconds) * 1000;
  ctx.revocations.revokeUserIssuedUntilNow(userId, maxLifetimeMs);
  ctx.refreshTokens.revokeForUser(userId);
  ctx.browserSessions.destroyForUser(userId);
  ctx.users.credentialsEnded(userId);
}
