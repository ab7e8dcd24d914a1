import { z } from "zod";

/** Server slug: also the path segment in /mcp/{server}. */
export const serverNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
  error: "expected 1–32 of a-z, 0-9 and '-', starting with a letter or digit",
});

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http or https URL" });

/** `mcp_services` of the YAML file: backends managed by configuration. */
export const mcpServiceSchema = z.strictObject({
  name: z.string().min(1).max(200),
  url: httpUrl,
  oauth_provider: z.string().min(1).optional(),
  auth_required: z.boolean().default(true),
  scopes: z.array(z.string().min(1)).default([]),
  /** Milliseconds to the first byte, as in the AuthMCP seed. */
  timeout: z.number().int().min(100).max(600000).optional(),
  enabled: z.boolean().default(true),
});
export type McpServiceConfig = z.output<typeof mcpServiceSchema>;

/** `oauth_providers` of the YAML file: upstream identity providers (used by the identity-provider issue). */
export const oauthProviderSchema = z.strictObject({
  name: z.string().min(1).optional(),
  type: z.enum(["oidc", "oauth2", "github", "google", "microsoft", "okta"]).optional(),
  issuer: httpUrl.optional(),
  client_id: z.string().min(1),
  client_secret: z.string().min(1).optional(),
  authorization_url: httpUrl.optional(),
  token_url: httpUrl.optional(),
  userinfo_url: httpUrl.optional(),
  scopes: z.array(z.string().min(1)).default([]),
});
export type OAuthProviderConfig = z.output<typeof oauthProviderSchema>;

export const mcpServicesSchema = z.record(serverNameSchema, mcpServiceSchema);
export const oauthProvidersSchema = z.record(
  z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { error: "expected a short lowercase id" }),
  oauthProviderSchema,
);
