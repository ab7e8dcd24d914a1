import type { AppContext } from "../context.ts";
import { parseParams } from "../http/body.ts";
import type { OAuthClient } from "./client-store.ts";
import { redirectUriMatches } from "./redirect-uri.ts";
import { parseScope } from "./scopes.ts";
import type { OAuthServer } from "./server.ts";

/** A validated authorization request. */
export interface AuthorizeRequest {
  client: OAuthClient;
  redirectUri: string;
  codeChallenge: string;
  state: string | undefined;
  scope: string;
  resource: string;
}

export type AuthorizeValidation =
  | { kind: "ok"; request: AuthorizeRequest }
  /** client_id or redirect_uri is not trustworthy: show a page, never redirect. */
  | { kind: "page"; status: number; message: string }
  /**
   * The client and its redirect URI are known, another parameter is wrong: the error belongs to
   * the client, but is sent there only once the person has approved that client (see routes).
   */
  | { kind: "error"; client: OAuthClient; redirectUri: string; location: string; description: string };

/** The parameters an authorize request carries (and the consent form repeats). */
export const AUTHORIZE_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "code_challenge",
  "code_challenge_method",
  "state",
  "scope",
  "resource",
] as const;

/** `redirectUri` with the given parameters added (query), keeping its own. */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export async function validateAuthorize(
  ctx: AppContext,
  oauth: OAuthServer,
  params: Record<string, string>,
): Promise<AuthorizeValidation> {
  const clientId = params.client_id;
  if (!clientId) return { kind: "page", status: 400, message: "The request has no client_id." };
  const found = await oauth.clients.find(clientId);
  if (!found.ok)
    return { kind: "page", status: 400, message: `The application is not known: ${found.reason}.` };
  const client = found.client;
  let redirectUri = params.redirect_uri;
  if (redirectUri === undefined) {
    if (client.redirectUris.length !== 1) {
      return { kind: "page", status: 400, message: "The request has no redirect_uri." };
    }
    redirectUri = client.redirectUris[0] as string;
  }
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    return {
      kind: "page",
      status: 400,
      message: "The redirect_uri is not one the application registered; the request was stopped.",
    };
  }
  const state = params.state;
  if (state !== undefined && state.length > 2000) {
    return { kind: "page", status: 400, message: "The state parameter is too long." };
  }
  const iss = ctx.config.publicUrl;
  const fail = (error: string, description: string): AuthorizeValidation => ({
    kind: "error",
    client,
    redirectUri,
    description,
    location: redirectWith(redirectUri, { error, error_description: description, state, iss }),
  });
  if (params.response_type !== "code") return fail("unsupported_response_type", "response_type must be code");
  if (client.status !== "active") return fail("unauthorized_client", "the client is waiting for approval");
  if (!client.grantTypes.includes("authorization_code")) {
    return fail("unauthorized_client", "the client may not use the authorization code grant");
  }
  const challenge = params.code_challenge;
  if (!challenge) return fail("invalid_request", "code_challenge is required (PKCE)");
  if (params.code_challenge_method !== "S256")
    return fail("invalid_request", "code_challenge_method must be S256");
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge))
    return fail("invalid_request", "code_challenge is malformed");
  const resource = ctx.resources.canonical(params.resource ?? ctx.resources.aggregate);
  const resourceScopes = resource === undefined ? undefined : ctx.resources.scopesOf(resource);
  if (!resource || !resourceScopes) return fail("invalid_target", "resource is not served by this gateway");
  const scope = parseScope(params.scope, resourceScopes);
  if (scope === undefined) return fail("invalid_scope", "unknown scope for this resource");
  return { kind: "ok", request: { client, redirectUri, codeChallenge: challenge, state, scope, resource } };
}

/** Issues a code for an approved request and returns where to send the browser (code, state, iss). */
export function approve(
  ctx: AppContext,
  oauth: OAuthServer,
  request: AuthorizeRequest,
  userId: string,
): string {
  const code = oauth.codes.create({
    clientId: request.client.clientId,
    userId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    resource: request.resource,
    scope: request.scope,
    ttlMs: ctx.config.authorizationCodeTtlSeconds * 1000,
  });
  return redirectWith(request.redirectUri, { code, state: request.state, iss: ctx.config.publicUrl });
}

export function denied(ctx: AppContext, request: AuthorizeRequest): string {
  return redirectWith(request.redirectUri, {
    error: "access_denied",
    error_description: "the user denied the request",
    state: request.state,
    iss: ctx.config.publicUrl,
  });
}

/** How the consent and sign-in pages present a client. */
export interface ClientDisplay {
  name: string;
  /**
   * True when the name is the client's own claim (dynamic registration, metadata document):
   * nobody checked it, and look-alike names are possible.
   */
  claimed: boolean;
  /** For a metadata-document client: the host that published it (that much is verified). */
  publishedBy?: string;
}

export function clientDisplay(client: OAuthClient): ClientDisplay {
  const claimed = client.source === "dynamic" || client.source === "cimd";
  if (client.source !== "cimd") return { name: client.name, claimed };
  return { name: client.name, claimed, publishedBy: new URL(client.clientId).host };
}

/** Where a redirect URI sends the browser, as a person reads it: the host, or scheme and host. */
export function redirectTargetLabel(redirectUri: string): string {
  const url = new URL(redirectUri);
  if (url.protocol === "http:" || url.protocol === "https:") return url.host;
  return url.host ? `${url.protocol}//${url.host}` : `${url.protocol}${url.pathname}`;
}

/** The gateway's name for a resource: a server's name, or all servers for the aggregate. */
export function resourceLabel(ctx: AppContext, resource: string): string {
  const parsed = ctx.resources.parse(resource);
  return parsed?.kind === "server" ? parsed.server : "all servers (aggregated endpoint)";
}

/** What the sign-in page shown during an authorization says, and where its form may end. */
export interface AuthorizationSummary {
  client: ClientDisplay;
  redirectUri: string;
  redirectTarget: string;
  /** The server asked for, when the request is otherwise valid. */
  server?: string;
}

const AUTHORIZE_PATHS = new Set(["/oauth/authorize", "/authorize"]);

/**
 * For a `return_to` that is an authorization request of a known client with a registered
 * redirect URI: who is asking, for which server, and where the browser may be sent after login.
 */
export async function describeAuthorization(
  ctx: AppContext,
  oauth: OAuthServer,
  returnTo: string,
): Promise<AuthorizationSummary | undefined> {
  const url = new URL(returnTo, ctx.config.publicUrl);
  if (!AUTHORIZE_PATHS.has(url.pathname)) return undefined;
  const params = parseParams(url.searchParams);
  if (!params.ok) return undefined;
  const validation = await validateAuthorize(ctx, oauth, params.value);
  if (validation.kind === "page") return undefined;
  const client = validation.kind === "ok" ? validation.request.client : validation.client;
  const redirectUri = validation.kind === "ok" ? validation.request.redirectUri : validation.redirectUri;
  return {
    client: clientDisplay(client),
    redirectUri,
    redirectTarget: redirectTargetLabel(redirectUri),
    server: validation.kind === "ok" ? resourceLabel(ctx, validation.request.resource) : undefined,
  };
}
