import { z } from "zod";
import { checkIpRecorded } from "../audit/security-events/rate-limited.ts";
import { requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { constantTimeEqual, sha256Hex } from "../crypto/random.ts";
import { readJson } from "../http/body.ts";
import type { clientIp } from "../http/client-ip.ts";
import { jsonError } from "../http/errors.ts";
import { wwwAuthenticate } from "./bearer.ts";
import type { OAuthServer } from "./server.ts";

type ServerArg = Parameters<typeof clientIp>[1];

/**
 * RFC 7591 §3.1: when the operator set OAUTH_REGISTRATION_TOKEN_SHA256, registration needs that
 * initial access token as a bearer token. Only its hash is configured; the presented token is hashed
 * and compared in constant time. Missing → 401 without an error code (RFC 6750 §3.1), wrong →
 * `invalid_token`; both with `WWW-Authenticate: Bearer`. Nothing about it is advertised in metadata.
 */
function initialAccessTokenRefusal(ctx: AppContext, request: Request): Response | undefined {
  const expected = ctx.config.oauthRegistrationTokenSha256?.toLowerCase();
  if (expected === undefined) return undefined;
  const header = request.headers.get("authorization");
  if (header === null) {
    return jsonError(
      401,
      "invalid_token",
      "registration needs an initial access token (Authorization: Bearer)",
      {
        "WWW-Authenticate": wwwAuthenticate({}),
        "Cache-Control": "no-store",
      },
    );
  }
  const match = /^Bearer[ ]+([!-~]{1,1024})$/i.exec(header);
  if (match?.[1] !== undefined && constantTimeEqual(sha256Hex(match[1]), expected)) return undefined;
  const description = "the initial access token is invalid";
  return jsonError(401, "invalid_token", description, {
    "WWW-Authenticate": wwwAuthenticate({ error: "invalid_token", description }),
    "Cache-Control": "no-store",
  });
}

/** POST /oauth/register (RFC 7591): dynamic client registration, as the registration mode allows. */
export function registerEndpoint(ctx: AppContext, oauth: OAuthServer) {
  const { config } = ctx;
  return async (request: Request, server: ServerArg): Promise<Response> => {
    if (config.oauthRegistrationMode === "none") {
      return jsonError(403, "access_denied", "dynamic client registration is disabled");
    }
    const limited = checkIpRecorded(ctx, "client_registration", request, server);
    if (limited) {
      const wait = limited.decision.retryAfterSeconds;
      return jsonError(
        429,
        "too_many_requests",
        `too many registrations; try again in ${wait} s`,
        limited.headers,
      );
    }
    const refused = initialAccessTokenRefusal(ctx, request);
    if (refused) return refused;
    const body = await readJson(request, z.unknown(), config.maxBodyBytes);
    if (!body.ok) return body.response;
    const pending = config.oauthRegistrationMode === "approval";
    const result = oauth.clients.register(body.value, "dynamic", pending ? "pending" : "active");
    if (!result.ok) return jsonError(400, result.error, result.description);
    const c = result.client;
    ctx.logger.info({ client_id: c.clientId, pending }, "oauth client registered");
    ctx.securityEvents.record({
      type: "client_registered",
      clientId: c.clientId,
      ...requestMeta(ctx, request, server),
      details: { registration: "dynamic", clientName: c.name, status: pending ? "pending" : "active" },
    });
    return Response.json(
      {
        client_id: c.clientId,
        client_id_issued_at: Math.floor(c.createdAt / 1000),
        ...(result.secret ? { client_secret: result.secret, client_secret_expires_at: 0 } : {}),
        client_name: c.name,
        redirect_uris: c.redirectUris,
        grant_types: c.grantTypes,
        response_types: c.grantTypes.includes("authorization_code") ? ["code"] : [],
        token_endpoint_auth_method: c.tokenEndpointAuthMethod,
        scope: c.scope,
      },
      { status: 201, headers: { "Cache-Control": "no-store" } },
    );
  };
}
