import { NO_REQUEST_META, type RequestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { constantTimeEqual } from "../crypto/random.ts";
import { clientCredentials } from "./client-credentials.ts";
import type { OAuthClient } from "./client-store.ts";
import type { ClientAuthResult } from "./clients.ts";
import { type CodeRow, issuedFromCode } from "./code-store.ts";
import { scopeCovers } from "./scopes.ts";
import type { OAuthServer } from "./server.ts";
import { NO_STORE, tokenError } from "./token-errors.ts";
import { issueTokenPair, revokeFamily, rotateTokenPair } from "./token-issuer.ts";

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString("base64url");
}

const GRANTS = new Set(["authorization_code", "refresh_token", "client_credentials"]);

/** POST /oauth/token once the form is read and the client authenticated (RFC 6749 §4.1.3, §4.4, §6). */
export async function tokenGrant(
  ctx: AppContext,
  oauth: OAuthServer,
  auth: Extract<ClientAuthResult, { ok: true }>,
  form: Record<string, string>,
  meta: RequestMeta = NO_REQUEST_META,
): Promise<Response> {
  const { client } = auth;
  const grant = form.grant_type;
  if (!grant) return tokenError(400, "invalid_request", "grant_type is required");
  if (!GRANTS.has(grant)) return tokenError(400, "unsupported_grant_type", "grant_type is not supported");
  if (!client.grantTypes.includes(grant) || (grant === "client_credentials" && !auth.authenticated)) {
    return tokenError(400, "unauthorized_client", `the client may not use ${grant}`);
  }
  if (grant === "authorization_code") return authorizationCode(ctx, oauth, client, form, meta);
  if (grant === "client_credentials") return clientCredentials(ctx, oauth, client, form, meta);
  return refresh(ctx, client, form, meta);
}

/** A replayed code: revokes what it issued (the refresh family, or its lone access token). */
function revokeIssuedFrom(ctx: AppContext, row: CodeRow): void {
  const issued = issuedFromCode(row);
  if (!issued) return;
  if ("familyId" in issued) {
    revokeFamily(ctx, issued.familyId);
    return;
  }
  const usedAt = row.usedAt ?? ctx.clock.now();
  const expiry = usedAt + (ctx.config.accessTokenMinutes * 60 + ctx.config.clockSkewSeconds) * 1000;
  if (expiry > ctx.clock.now()) ctx.revocations.revoke(issued.accessJti, expiry);
}

async function authorizationCode(
  ctx: AppContext,
  oauth: OAuthServer,
  client: OAuthClient,
  form: Record<string, string>,
  meta: RequestMeta,
): Promise<Response> {
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = form;
  if (!code) return tokenError(400, "invalid_request", "code is required");
  if (!verifier) return tokenError(400, "invalid_request", "code_verifier is required (PKCE)");
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier))
    return tokenError(400, "invalid_grant", "code_verifier is malformed");
  const redeemed = oauth.codes.redeem(code);
  if (!redeemed.ok) {
    if (redeemed.reason === "replayed") {
      revokeIssuedFrom(ctx, redeemed.row);
      ctx.securityEvents.record({
        type: "token_revoked",
        severity: "high",
        userId: redeemed.row.userId,
        clientId: redeemed.row.clientId,
        ...meta,
        details: { reason: "authorization_code_replayed" },
      });
      ctx.logger.warn(
        { client_id: redeemed.row.clientId },
        "authorization code replayed; tokens issued from it revoked",
      );
      return tokenError(400, "invalid_grant", "the authorization code was already used");
    }
    return tokenError(
      400,
      "invalid_grant",
      `the authorization code is ${redeemed.reason === "expired" ? "expired" : "invalid"}`,
    );
  }
  const row = redeemed.row;
  if (row.clientId !== client.clientId)
    return tokenError(400, "invalid_grant", "the code was issued to another client");
  if (redirectUri !== row.redirectUri)
    return tokenError(400, "invalid_grant", "redirect_uri does not match the authorization request");
  if (!constantTimeEqual(await s256(verifier), row.codeChallenge))
    return tokenError(400, "invalid_grant", "code_verifier does not match");
  if (form.resource !== undefined && ctx.resources.canonical(form.resource) !== row.resource) {
    return tokenError(400, "invalid_target", "resource differs from the authorization request");
  }
  const principal = ctx.users.principal(row.userId);
  if (!principal?.isActive) return tokenError(400, "invalid_grant", "the user is not active");
  const withRefreshToken = client.grantTypes.includes("refresh_token");
  const familyId = crypto.randomUUID();
  const accessJti = crypto.randomUUID();
  oauth.codes.recordIssued(row.codeHash, withRefreshToken ? { familyId } : { accessJti });
  const body = await issueTokenPair(ctx, {
    userId: row.userId,
    clientId: client.clientId,
    audience: row.resource,
    resource: row.resource,
    scope: row.scope,
    familyId,
    withRefreshToken,
    accessJti,
    event: { ...meta, grantType: "authorization_code" },
  });
  return Response.json(body, { headers: NO_STORE });
}

/** A narrower resource than granted: the same, or one server when the aggregate was granted. */
function narrows(ctx: AppContext, granted: string, asked: string): boolean {
  if (asked === granted) return true;
  return granted === ctx.resources.aggregate && ctx.resources.parse(asked)?.kind === "server";
}

async function refresh(
  ctx: AppContext,
  client: OAuthClient,
  form: Record<string, string>,
  meta: RequestMeta,
): Promise<Response> {
  const token = form.refresh_token;
  if (!token) return tokenError(400, "invalid_request", "refresh_token is required");
  // Narrowing is checked before the token is consumed: a refused request leaves it usable.
  const current = ctx.refreshTokens.find(token);
  if (current && current.clientId === client.clientId) {
    const asked = form.resource === undefined ? current.resource : ctx.resources.canonical(form.resource);
    if (asked === undefined || !narrows(ctx, current.resource, asked)) {
      return tokenError(400, "invalid_target", "resource may narrow the grant but never widen it");
    }
    if (form.scope !== undefined && (form.scope.trim() === "" || !scopeCovers(current.scope, form.scope))) {
      return tokenError(400, "invalid_scope", "scope may narrow the grant but never widen it");
    }
  }
  const resource = form.resource === undefined ? undefined : ctx.resources.canonical(form.resource);
  const scope =
    form.scope === undefined
      ? undefined
      : [...new Set(form.scope.split(" ").filter(Boolean))].sort().join(" ");
  const outcome = await rotateTokenPair(ctx, token, {
    clientId: client.clientId,
    graceMs: ctx.config.oauthRefreshGraceSeconds * 1000,
    audience: (row) => resource ?? row.resource,
    scope,
    meta,
  });
  if (!outcome.ok) {
    if (outcome.reason === "reused") {
      ctx.logger.warn({ client_id: client.clientId }, "refresh token reused; its family was revoked");
    }
    if (outcome.reason === "inactive") return tokenError(400, "invalid_grant", "the user is not active");
    return tokenError(400, "invalid_grant", "the refresh token is invalid, expired or revoked");
  }
  return Response.json(outcome.body, { headers: NO_STORE });
}
