import { Elysia } from "elysia";
import { requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { json, jsonError } from "../http/errors.ts";
import { browserIdentity, sameOriginRequest } from "../identity/browser-auth.ts";
import type { OAuthServer } from "./server.ts";
import { revokeClientTokens } from "./token-issuer.ts";

/**
 * A signed-in person's remembered consents (JSON, for the portal): list and revoke. A revoked
 * consent makes the next authorization ask again and revokes the client's tokens for this person.
 * Revoking needs `X-CSRF-Token` and our Origin.
 */
export function consentApi(ctx: AppContext, oauth: OAuthServer) {
  return new Elysia({ name: "oauth-consent-api" })
    .get("/oauth/consents", ({ request }) => {
      const identity = browserIdentity(ctx, request);
      if (!identity) return jsonError(401, "login_required", "sign in first");
      const consents = oauth.consents.listForUser(identity.principal.id).map((c) => ({
        id: c.id,
        client_id: c.clientId,
        resource: c.resource,
        scope: c.scope,
        created_at: c.createdAt,
      }));
      return json({ consents });
    })
    .delete(
      "/oauth/consents/:id",
      ({ request, params, server }) => {
        const identity = browserIdentity(ctx, request);
        if (!identity) return jsonError(401, "login_required", "sign in first");
        if (
          !sameOriginRequest(request, ctx.config.publicUrl) ||
          !ctx.browserSessions.checkCsrf(identity.session, request.headers.get("x-csrf-token"))
        ) {
          return jsonError(403, "csrf_failed", "missing or invalid CSRF token");
        }
        const userId = identity.principal.id;
        const consent = oauth.consents.listForUser(userId).find((c) => c.id === params.id);
        if (!consent || !oauth.consents.revoke(userId, params.id)) {
          return jsonError(404, "not_found", "no such consent");
        }
        // Disconnecting a client ends its access for this person: every token it holds for them,
        // whichever resource (a consent is one of possibly several of this client).
        revokeClientTokens(ctx, consent.clientId, userId);
        ctx.logger.info(
          { client_id: consent.clientId, user_id: userId },
          "consent revoked; client tokens revoked",
        );
        ctx.securityEvents.record({
          type: "consent_revoked",
          userId,
          clientId: consent.clientId,
          ...requestMeta(ctx, request, server),
          details: { resource: consent.resource, scope: consent.scope, tokensRevoked: true },
        });
        return new Response(null, { status: 204 });
      },
      { parse: "none" },
    );
}
