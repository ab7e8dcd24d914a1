import type { AppContext } from "../context.ts";
import type { RefreshTokenRow } from "./refresh-tokens.ts";

/** client_id of tokens issued by the first-party /auth/login endpoint. */
export const LOGIN_CLIENT_ID = "authmcp-gateway";

export interface TokenPairInput {
  userId: string;
  clientId: string;
  audience: string | string[];
  /** Stored with the refresh token: what a refresh may ask for again. */
  resource: string;
  scope: string;
  familyId?: string;
  /** Omit to issue no refresh token. */
  withRefreshToken?: boolean;
  /** jti of the access token, when the caller records it beforehand. */
  accessJti?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

/** Issues an access token and (by default) a refresh token bound to it: one place for both endpoints. */
export async function issueTokenPair(ctx: AppContext, input: TokenPairInput): Promise<TokenResponse> {
  const ttlSeconds = ctx.config.accessTokenMinutes * 60;
  const access = await ctx.accessTokens.issue({
    subject: input.userId,
    audience: input.audience,
    clientId: input.clientId,
    scope: input.scope,
    ttlSeconds,
    jti: input.accessJti,
  });
  const response: TokenResponse = {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: ttlSeconds,
    scope: input.scope,
  };
  if (input.withRefreshToken !== false) {
    const refresh = ctx.refreshTokens.issue({
      userId: input.userId,
      clientId: input.clientId,
      resource: input.resource,
      scope: input.scope,
      accessJti: access.jti,
      ttlMs: ctx.config.refreshTokenDays * 86_400_000,
      familyId: input.familyId,
    });
    response.refresh_token = refresh.token;
  }
  return response;
}

/** Revokes a refresh-token family and every access token issued with it that may still be live. */
export function revokeFamily(ctx: AppContext, familyId: string): void {
  const rows: RefreshTokenRow[] = ctx.refreshTokens.familyRows(familyId);
  ctx.refreshTokens.revokeFamily(familyId);
  const accessLifetimeMs = ctx.config.accessTokenMinutes * 60_000;
  for (const row of rows) {
    const accessExpiry = row.createdAt + accessLifetimeMs + ctx.config.clockSkewSeconds * 1000;
    if (accessExpiry > ctx.clock.now()) ctx.revocations.revoke(row.accessJti, accessExpiry);
  }
}
