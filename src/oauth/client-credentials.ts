import type { RequestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import type { OAuthClient } from "./client-store.ts";
import { parseScope } from "./scopes.ts";
import type { OAuthServer } from "./server.ts";
import { NO_STORE, tokenError } from "./token-errors.ts";
import { issueTokenPair } from "./token-issuer.ts";

/**
 * RFC 6749 §4.4 for an authenticated confidential client of the config file. Its tokens act as
 * the client's `service_user`, so the bearer check's "user still active" and the user's policies
 * apply; no refresh token (§4.4.3).
 */
export async function clientCredentials(
  ctx: AppContext,
  oauth: OAuthServer,
  client: OAuthClient,
  form: Record<string, string>,
  meta?: RequestMeta,
): Promise<Response> {
  const resource = ctx.resources.canonical(form.resource ?? ctx.resources.aggregate);
  const resourceScopes = resource === undefined ? undefined : ctx.resources.scopesOf(resource);
  if (!resource || !resourceScopes) {
    return tokenError(400, "invalid_target", "resource is not served by this gateway");
  }
  const scope = parseScope(form.scope, resourceScopes);
  if (scope === undefined) return tokenError(400, "invalid_scope", "unknown scope for this resource");
  const username = oauth.clients.serviceUser(client.clientId);
  const user = username === undefined ? undefined : ctx.users.byUsername(username);
  if (!user || !ctx.users.principal(user.id)?.isActive) {
    return tokenError(
      400,
      "unauthorized_client",
      "the client's service user does not exist or is not active",
    );
  }
  const body = await issueTokenPair(ctx, {
    userId: user.id,
    clientId: client.clientId,
    audience: resource,
    resource,
    scope,
    withRefreshToken: false,
    event: { ...meta, grantType: "client_credentials" },
  });
  return Response.json(body, { headers: NO_STORE });
}
