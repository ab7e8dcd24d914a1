import { jsonError } from "../http/errors.ts";
import { wwwAuthenticate } from "./bearer.ts";
import { SCOPES_SUPPORTED } from "./scopes.ts";

/** RFC 9728 metadata URL of a resource served under the public URL (path-suffixed form). */
export function protectedResourceMetadataUrl(publicUrl: string, resourceUri: string): string {
  const suffix = resourceUri.startsWith(publicUrl)
    ? resourceUri.slice(publicUrl.length)
    : new URL(resourceUri).pathname;
  return `${publicUrl}/.well-known/oauth-protected-resource${suffix}`;
}

const EXPOSE = { "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id" };

/**
 * 401 for an MCP endpoint: `WWW-Authenticate: Bearer resource_metadata=…, scope=…` plus
 * `error="invalid_token"` (or invalid_request) when a token was sent (RFC 6750 §3, RFC 9728 §5.1).
 */
export function challenge401(
  publicUrl: string,
  resourceUri: string,
  failure: { error?: string; description: string } = { description: "a bearer token is required" },
  scopes: readonly string[] = SCOPES_SUPPORTED,
): Response {
  const header = wwwAuthenticate({
    error: failure.error,
    description: failure.error ? failure.description : undefined,
    scope: scopes.join(" "),
    resourceMetadata: protectedResourceMetadataUrl(publicUrl, resourceUri),
  });
  return jsonError(401, failure.error ?? "invalid_token", failure.description, {
    "WWW-Authenticate": header,
    ...EXPOSE,
  });
}

/** 403 when the token lacks a scope: `error="insufficient_scope"` with every scope needed. */
export function challenge403(publicUrl: string, resourceUri: string, scopesNeeded: string[]): Response {
  const scope = scopesNeeded.join(" ");
  const header = wwwAuthenticate({
    error: "insufficient_scope",
    scope,
    resourceMetadata: protectedResourceMetadataUrl(publicUrl, resourceUri),
  });
  return jsonError(403, "insufficient_scope", `the access token needs scope "${scope}"`, {
    "WWW-Authenticate": header,
    ...EXPOSE,
  });
}
