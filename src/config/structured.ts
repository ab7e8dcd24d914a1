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

/** `oauth_clients` of the YAML file: pre-registered OAuth clients, by client_id (src/oauth). */
export const oauthClientConfigSchema = z.strictObject({
  client_name: z.string().min(1).max(200),
  redirect_uris: z.array(z.string().max(2000)).min(1).max(20),
  /** Makes the client confidential (client_secret_basic or _post); use ${VAR}. At least 32 characters. */
  client_secret: z.string().min(32, { error: "expected at least 32 characters" }).max(512).optional(),
  grant_types: z
    .array(z.enum(["authorization_code", "refresh_token"]))
    .min(1)
    .optional(),
});
export type OAuthClientConfig = z.output<typeof oauthClientConfigSchema>;
export const oauthClientsSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z0-9._~-]{1,255}$/, { error: "expected a client_id of letters, digits and . _ ~ -" }),
  oauthClientConfigSchema,
);
