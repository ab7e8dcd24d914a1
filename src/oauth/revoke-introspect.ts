import { NO_REQUEST_META, type RequestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import type { OAuthClient } from "./client-store.ts";
import { revokeFamily } from "./token-issuer.ts";

/** RFC 7009: revokes a refresh token (its family) or an access token of this client; unknown tokens are ignored. */
export async function revokeToken(
  ctx: AppContext,
  client: OAuthClient,
  token: string,
  hint?: string,
  meta: RequestMeta = NO_REQUEST_META,
): Promise<void> {
  const revoked = (tokenType: string, userId: string) =>
    ctx.securityEvents.record({
      type: "token_revoked",
      userId,
      clientId: client.clientId,
      ...meta,
      details: { tokenType, via: "/oauth/revoke" },
    });
  const tryRefresh = () => {
    const row = ctx.refreshTokens.find(token);
    if (!row || row.clientId !== client.clientId) return false;
    revokeFamily(ctx, row.familyId);
    revoked("refresh_token", row.userId);
    return true;
  };
  if (hint !== "access_token" && tryRefresh()) return;
  const verified = await ctx.accessTokens.verifyAnyAudience(token);
  if (verified.ok && verified.claims.client_id === client.clientId) {
    ctx.revocations.revoke(
      verified.claims.jti,
      verified.claims.exp * 1000 + ctx.config.clockSkewSeconds * 1000,
    );
    revoked("access_token", verified.claims.sub);
    return;
  }
  if (hint === "access_token") tryRefresh();
}

/**
 * RFC 7662. A client sees only its own tokens; an admin (caller undefined) sees all.
 * Inactive, unknown, revoked and foreign tokens all answer `{active: false}`.
 */
export async function introspectToken(
  ctx: AppContext,
  caller: OAuthClient | undefined,
  token: string,
): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  const mine = (clientId: string) => caller === undefined || caller.clientId === clientId;
  const verified = await ctx.accessTokens.verifyAnyAudience(token);
  if (verified.ok) {
    const c = verified.claims;
    if (!mine(c.client_id) || ctx.revocations.isRevoked(c)) return inactive;
    const principal = ctx.users.principal(c.sub);
    if (!principal?.isActive) return inactive;
    return {
      active: true,
      token_type: "Bearer",
      scope: c.scope,
      client_id: c.client_id,
      username: principal.username,
      sub: c.sub,
      aud: c.aud,
      iss: c.iss,
      exp: c.exp,
      iat: c.iat,
      jti: c.jti,
    };
  }
  const row = ctx.refreshTokens.find(token);
  const now = ctx.clock.now();
  if (
    !row ||
    !mine(row.clientId) ||
    row.revokedAt !== null ||
    row.rotatedAt !== null ||
    row.expiresAt <= now
  ) {
    return inactive;
  }
  const principal = ctx.users.principal(row.userId);
  if (!principal?.isActive) return inactive;
  return {
    active: true,
    token_type: "refresh_token",
    scope: row.scope,
    client_id: row.clientId,
    username: principal.username,
    sub: row.userId,
    aud: row.resource,
    iss: ctx.config.publicUrl,
    exp: Math.floor(row.expiresAt / 1000),
    iat: Math.floor(row.createdAt / 1000),
  };
}
