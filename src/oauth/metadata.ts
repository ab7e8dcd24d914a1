import type { AppContext } from "../context.ts";
import { SCOPES_SUPPORTED } from "./scopes.ts";

/** RFC 8414 Authorization Server Metadata (also served as OpenID-style discovery). */
export function authorizationServerMetadata(ctx: AppContext, openid: boolean): Record<string, unknown> {
  const issuer = ctx.config.publicUrl;
  const doc: Record<string, unknown> = {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint:
      ctx.config.oauthRegistrationMode === "none" ? undefined : `${issuer}/oauth/register`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    scopes_supported: [...SCOPES_SUPPORTED],
    client_id_metadata_document_supported: ctx.config.oauthCimdEnabled,
    authorization_response_iss_parameter_supported: true,
  };
  if (openid) {
    // Fields OpenID discovery requires; the gateway issues no ID tokens.
    doc.subject_types_supported = ["public"];
    doc.id_token_signing_alg_values_supported = [ctx.keys.signingKey().alg];
  }
  return doc;
}

/** RFC 9728 Protected Resource Metadata of one resource URI. */
export function protectedResourceMetadata(ctx: AppContext, resource: string): Record<string, unknown> {
  return {
    resource,
    authorization_servers: [ctx.config.publicUrl],
    scopes_supported: ctx.resources.scopesOf(resource) ?? [...SCOPES_SUPPORTED],
    bearer_methods_supported: ["header"],
    resource_name: "AuthMCP Gateway",
  };
}
