import { Elysia } from "elysia";
import { ConsentPage } from "../../views/oauth/consent.tsx";
import { checkIpRecorded } from "../audit/security-events/rate-limited.ts";
import { type RequestMeta, requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { parseParams, readForm } from "../http/body.ts";
import { jsonError } from "../http/errors.ts";
import { browserIdentity, sameOriginRequest } from "../identity/browser-auth.ts";
import { htmlResponse, seeOther } from "../web/html.ts";
import { csrfRejected, formRateLimit, messageResponse, readBrowserForm } from "../web/pages.ts";
import { oauthAdminApi } from "./admin-api.ts";
import {
  AUTHORIZE_PARAMS,
  approve,
  clientDisplay,
  denied,
  redirectTargetLabel,
  resourceLabel,
  validateAuthorize,
} from "./authorize.ts";
import type { OAuthClient } from "./client-store.ts";
import { consentApi } from "./consent-api.ts";
import { authorizationServerMetadata, protectedResourceMetadata } from "./metadata.ts";
import { registerEndpoint } from "./register-endpoint.ts";
import { introspectToken, revokeToken } from "./revoke-introspect.ts";
import { createOAuthServer, type OAuthServer } from "./server.ts";
import { tokenGrant } from "./token-endpoint.ts";
import { clientAuthError, tokenError } from "./token-errors.ts";

/** Public, CORS-enabled endpoints (no cookies involved): any origin may call them. */
const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, MCP-Protocol-Version",
  "Access-Control-Expose-Headers": "WWW-Authenticate, Retry-After, RateLimit-Policy, RateLimit",
  "Access-Control-Max-Age": "600",
};
const PUBLIC_PATHS = [
  "/.well-known/oauth-authorization-server",
  "/.well-known/openid-configuration",
  "/.well-known/oauth-protected-resource",
  "/.well-known/oauth-protected-resource/mcp",
  "/.well-known/oauth-protected-resource/mcp/:server",
  "/.well-known/oauth-protected-resource/:server/mcp",
  "/oauth/token",
  "/token",
  "/oauth/register",
  "/oauth/revoke",
  "/oauth/introspect",
];
const DISCOVERY_HEADERS = { ...CORS, "Cache-Control": "public, max-age=300" };

function withCors(response: Response): Response {
  for (const [name, value] of Object.entries(CORS)) response.headers.set(name, value);
  return response;
}

function redirect(location: string, status: 302 | 303): Response {
  return new Response(null, { status, headers: { Location: location, "Cache-Control": "no-store" } });
}

function pick(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) if (params[name] !== undefined) out[name] = params[name];
  return out;
}

/** The authorization server's HTTP endpoints: discovery, registration, authorize + consent, token, revoke, introspect. */
export function oauthRoutes(ctx: AppContext, oauth: OAuthServer = createOAuthServer(ctx)) {
  const { config } = ctx;

  const errorPage = (status: number, message: string) =>
    messageResponse(status, { title: "Authorization request refused", message });

  /** GET (and the consent POST) share this: validate, require a session, then consent or code. */
  const authorize = async (
    request: Request,
    params: Record<string, string>,
    decision?: string,
    meta?: RequestMeta,
  ) => {
    const validation = await validateAuthorize(ctx, oauth, params);
    if (validation.kind === "page") return errorPage(validation.status, validation.message);
    const identity = browserIdentity(ctx, request);
    if (validation.kind === "error") {
      // Any client may register any redirect URI: sending errors there for anyone who follows a
      // link would make the gateway an open redirector (RFC 9700 §4.11.2). The error goes to the
      // client only once this person has approved that client; before, it is shown here.
      if (identity && oauth.consents.hasClient(identity.principal.id, validation.client.clientId)) {
        return redirect(validation.location, decision === undefined ? 302 : 303);
      }
      return errorPage(400, `The application's request is not valid: ${validation.description}.`);
    }
    const req = validation.request;
    if (!identity) {
      const back = `/oauth/authorize?${new URLSearchParams(pick(params)).toString()}`;
      return seeOther(`/login?return_to=${encodeURIComponent(back)}`);
    }
    const userId = identity.principal.id;
    const { clientId } = req.client;
    if (decision !== undefined) {
      if (decision === "deny") return redirect(denied(ctx, req), 303);
      if (decision !== "approve") return errorPage(400, "The decision must be approve or deny.");
      oauth.consents.grant(userId, clientId, req.resource, req.scope, req.redirectUri);
      ctx.securityEvents.record({
        type: "consent_granted",
        userId,
        clientId,
        ...meta,
        details: { resource: req.resource, scope: req.scope, redirectUri: req.redirectUri },
      });
      return redirect(approve(ctx, oauth, req, userId), 303);
    }
    const remembered = oauth.consents.has(userId, clientId, req.resource, req.scope);
    // Any local program can claim a loopback port and start an authorization for a public
    // (native) client with its own PKCE pair: remembered consent alone must not hand it a code
    // without the person (RFC 8252 §8.6). Silent only for the exact redirect URI approved before.
    const silent =
      remembered &&
      (req.client.tokenEndpointAuthMethod !== "none" ||
        oauth.consents.redirectApproved(userId, clientId, req.redirectUri));
    if (silent) return redirect(approve(ctx, oauth, req, userId), 302);
    const html = await ConsentPage({
      csrfToken: ctx.browserSessions.csrfToken(identity.session),
      username: identity.principal.username,
      client: clientDisplay(req.client),
      redirectTarget: redirectTargetLabel(req.redirectUri),
      redirectUri: req.redirectUri,
      server: resourceLabel(ctx, req.resource),
      resource: req.resource,
      scope: req.scope,
      approvedBefore: remembered,
      params: { ...pick(params), redirect_uri: req.redirectUri },
    });
    // Allow and Deny redirect to the client: the page's form-action names that one target.
    return htmlResponse(html, 200, [], { formTarget: req.redirectUri });
  };

  const authorizeGet = ({ request }: { request: Request }) => {
    const params = parseParams(new URL(request.url).searchParams);
    if (!params.ok) return errorPage(400, "A parameter of the request is repeated.");
    return authorize(request, params.value);
  };

  const register = registerEndpoint(ctx, oauth);

  const token = async ({
    request,
    server,
  }: {
    request: Request;
    server: Parameters<typeof ctx.rateLimits.clientIp>[1];
  }) => {
    const limited = checkIpRecorded(ctx, "token", request, server);
    if (limited) {
      const wait = limited.decision.retryAfterSeconds;
      return withCors(
        tokenError(
          429,
          "too_many_requests",
          `too many token requests; try again in ${wait} s`,
          limited.headers,
        ),
      );
    }
    const form = await readForm(request, config.maxBodyBytes);
    if (!form.ok) return withCors(form.response);
    const auth = await oauth.clients.authenticate(request, form.value);
    if (!auth.ok) return withCors(clientAuthError(auth));
    return withCors(await tokenGrant(ctx, oauth, auth, form.value, requestMeta(ctx, request, server)));
  };

  let app = new Elysia({ name: "oauth-routes" });
  for (const path of PUBLIC_PATHS)
    app = app.options(path, () => new Response(null, { status: 204, headers: CORS }));

  return (
    app
      .use(oauthAdminApi(ctx, oauth))
      .use(consentApi(ctx, oauth))
      .get("/.well-known/oauth-authorization-server", () =>
        Response.json(authorizationServerMetadata(ctx, false), { headers: DISCOVERY_HEADERS }),
      )
      .get("/.well-known/openid-configuration", () =>
        Response.json(authorizationServerMetadata(ctx, true), { headers: DISCOVERY_HEADERS }),
      )
      .get("/.well-known/oauth-protected-resource", () =>
        Response.json(protectedResourceMetadata(ctx, ctx.resources.aggregate), {
          headers: DISCOVERY_HEADERS,
        }),
      )
      .get("/.well-known/oauth-protected-resource/mcp", () =>
        Response.json(protectedResourceMetadata(ctx, ctx.resources.aggregate), {
          headers: DISCOVERY_HEADERS,
        }),
      )
      .get("/.well-known/oauth-protected-resource/mcp/:server", ({ params }) => {
        const resource = ctx.resources.serverResource(params.server);
        if (ctx.resources.parse(resource)?.kind !== "server") {
          return withCors(jsonError(404, "not_found", "no such MCP server"));
        }
        return Response.json(protectedResourceMetadata(ctx, resource), { headers: DISCOVERY_HEADERS });
      })
      // The alias endpoint `/{server}/mcp`: `resource` must equal the URL the client uses (RFC 9728 §3.3).
      .get("/.well-known/oauth-protected-resource/:server/mcp", ({ params }) => {
        if (ctx.resources.parse(ctx.resources.serverResource(params.server))?.kind !== "server") {
          return withCors(jsonError(404, "not_found", "no such MCP server"));
        }
        const alias = ctx.resources.serverAlias(params.server);
        return Response.json(protectedResourceMetadata(ctx, alias), { headers: DISCOVERY_HEADERS });
      })
      .post("/oauth/register", async ({ request, server }) => withCors(await register(request, server)), {
        parse: "none",
      })
      .get("/oauth/authorize", authorizeGet)
      .get("/authorize", authorizeGet)
      .post(
        "/oauth/authorize",
        async ({ request, server }) => {
          const limited = formRateLimit(ctx, "authorize", request, server);
          if (limited) {
            return messageResponse(
              429,
              { title: "Too many requests", message: limited.message },
              limited.headers,
            );
          }
          const form = await readBrowserForm(ctx, request);
          if (!form.ok) return form.response;
          const identity = browserIdentity(ctx, request);
          if (
            !identity ||
            !sameOriginRequest(request, config.publicUrl) ||
            !ctx.browserSessions.checkCsrf(identity.session, form.value._csrf)
          ) {
            return csrfRejected();
          }
          return authorize(
            request,
            pick(form.value),
            form.value.decision ?? "",
            requestMeta(ctx, request, server),
          );
        },
        { parse: "none" },
      )
      .post("/oauth/token", token, { parse: "none" })
      .post("/token", token, { parse: "none" })
      .post(
        "/oauth/revoke",
        async ({ request, server }) => {
          const form = await readForm(request, config.maxBodyBytes);
          if (!form.ok) return withCors(form.response);
          const auth = await oauth.clients.authenticate(request, form.value);
          if (!auth.ok) return withCors(clientAuthError(auth));
          if (!form.value.token) return withCors(tokenError(400, "invalid_request", "token is required"));
          await revokeToken(
            ctx,
            auth.client,
            form.value.token,
            form.value.token_type_hint,
            requestMeta(ctx, request, server),
          );
          return withCors(new Response(null, { status: 200, headers: { "Cache-Control": "no-store" } }));
        },
        { parse: "none" },
      )
      .post(
        "/oauth/introspect",
        async ({ request }) => {
          const form = await readForm(request, config.maxBodyBytes);
          if (!form.ok) return withCors(form.response);
          const authorization = request.headers.get("authorization") ?? "";
          let caller: OAuthClient | undefined;
          if (/^Bearer /i.test(authorization)) {
            const admin = await ctx.bearer.authenticate(authorization, config.publicUrl);
            if (!admin.ok || !admin.principal.isAdmin) {
              return withCors(
                tokenError(401, "invalid_client", "an admin token or confidential client is required"),
              );
            }
            caller = undefined;
          } else {
            const auth = await oauth.clients.authenticate(request, form.value);
            if (!auth.ok) return withCors(clientAuthError(auth));
            if (!auth.authenticated) {
              return withCors(tokenError(401, "invalid_client", "introspection is for confidential clients"));
            }
            caller = auth.client;
          }
          if (!form.value.token) return withCors(tokenError(400, "invalid_request", "token is required"));
          return withCors(
            Response.json(await introspectToken(ctx, caller, form.value.token), {
              headers: { "Cache-Control": "no-store" },
            }),
          );
        },
        { parse: "none" },
      )
  );
}
