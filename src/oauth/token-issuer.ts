import type { RequestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { randomToken } from "../crypto/random.ts";
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
  /** For the `token_issued` security event: the grant and the request it answers. */
  event?: Partial<RequestMeta> & { grantType: string };
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
      familyMaxMs: ctx.config.oauthRefreshFamilyMaxDays * 86_400_000,
      familyId: input.familyId,
    });
    response.refresh_token = refresh.token;
  }
  ctx.securityEvents.record({
    type: "token_issued",
    userId: input.userId,
    clientId: input.clientId,
    ip: input.event?.ip,
    userAgent: input.event?.userAgent,
    details: {
      grantType: input.event?.grantType ?? "unknown",
      resource: input.resource,
      scope: input.scope,
      refreshToken: response.refresh_token !== undefined,
    },
  });
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

export type RefreshOutcome =
  | { ok: true; body: TokenResponse }
  /** `reused`: the family was revoked; `mismatch`: a grace-window replay asked for something else. */
  | { ok: false; reason: "invalid" | "reused" | "inactive" | "mismatch"; row?: RefreshTokenRow };

/** The successor answer kept (sealed) for a replay within the grace window. */
interface SealedAnswer {
  body: TokenResponse;
  accessExpiresAt: number;
  /** What the rotating request asked for: a replay must ask for the same. */
  asked: string;
}

function sealContext(row: RefreshTokenRow): string {
  return `refresh-successor:${row.id}`;
}

/**
 * Rotates a refresh token (RFC 6749 §6): a new access token and a new refresh token of the same
 * family, or the very same answer again within the grace window (see RefreshTokenStore.rotate).
 * The answer is built and sealed before the rotation so that rotating and remembering the answer
 * are one transaction: a concurrent replay never sees a rotation without its answer.
 */
export async function rotateTokenPair(
  ctx: AppContext,
  presented: string,
  options: {
    clientId: string;
    graceMs: number;
    audience: (row: RefreshTokenRow) => string | string[];
    /** The (narrowed) scope to issue; the row's scope when absent. */
    scope?: string;
    /** The request, for the `token_refreshed` / `refresh_token_reuse` security events. */
    meta?: RequestMeta;
  },
): Promise<RefreshOutcome> {
  const current = ctx.refreshTokens.find(presented);
  if (!current || current.clientId !== options.clientId) return { ok: false, reason: "invalid" };
  const principal = ctx.users.principal(current.userId);
  if (!principal?.isActive) return { ok: false, reason: "inactive" };
  const audience = options.audience(current);
  const scope = options.scope ?? current.scope;
  const ttlSeconds = ctx.config.accessTokenMinutes * 60;
  const access = await ctx.accessTokens.issue({
    subject: current.userId,
    audience,
    clientId: options.clientId,
    scope,
    ttlSeconds,
  });
  const refreshToken = randomToken(32);
  const body: TokenResponse = {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: ttlSeconds,
    refresh_token: refreshToken,
    scope,
  };
  const asked = JSON.stringify([audience, scope]);
  const answer: SealedAnswer = { body, accessExpiresAt: access.expiresAt, asked };
  // Without a grace window the answer is never given again: nothing to keep.
  const sealed =
    options.graceMs > 0 ? await ctx.secretBox.encrypt(JSON.stringify(answer), sealContext(current)) : "";
  const result = ctx.refreshTokens.rotate(presented, {
    clientId: options.clientId,
    graceMs: options.graceMs,
    successor: {
      token: refreshToken,
      accessJti: access.jti,
      scope,
      ttlMs: ctx.config.refreshTokenDays * 86_400_000,
      familyMaxMs: ctx.config.oauthRefreshFamilyMaxDays * 86_400_000,
      sealed,
    },
  });
  const event = (type: "token_refreshed" | "refresh_token_reuse", details: Record<string, unknown>) =>
    ctx.securityEvents.record({
      type,
      userId: current.userId,
      clientId: options.clientId,
      ip: options.meta?.ip,
      userAgent: options.meta?.userAgent,
      details,
    });
  if (result.ok) {
    event("token_refreshed", { grantType: "refresh_token", scope });
    return { ok: true, body };
  }
  if (result.reason === "reused") {
    revokeFamily(ctx, result.familyId);
    event("refresh_token_reuse", { familyRevoked: true });
    return { ok: false, reason: "reused", row: result.row };
  }
  if (result.reason !== "grace") return { ok: false, reason: "invalid" };
  const earlier = JSON.parse(
    await ctx.secretBox.decrypt(result.sealed, sealContext(result.row)),
  ) as SealedAnswer;
  if (earlier.asked !== asked) return { ok: false, reason: "mismatch" };
  const expiresIn = Math.max(0, Math.floor((earlier.accessExpiresAt - ctx.clock.now()) / 1000));
  return { ok: true, body: { ...earlier.body, expires_in: expiresIn } };
}

/**
 * Revokes every token of a client for one user (consent revoked) or for all (client deleted):
 * its refresh tokens, and its access tokens through a cutoff the bearer check compares with `iat`.
 */
export function revokeClientTokens(ctx: AppContext, clientId: string, userId?: string): void {
  ctx.refreshTokens.revokeForClient(clientId, userId);
  const maxLifetimeMs = (ctx.config.accessTokenMinutes * 60 + ctx.config.clockSkewSeconds) * 1000;
  ctx.revocations.revokeIssuedUntilNow(clientId, userId, maxLifetimeMs);
}
