import { z } from "zod";
import { providerSlugSchema } from "../identity/upstream/provider-schema.ts";
import { networkListSchema } from "../policy/network-schema.ts";

/** Server slug: also the path segment in /mcp/{server}. */
export const serverNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
  error: "expected 1–32 of a-z, 0-9 and '-', starting with a letter or digit",
});

/**
 * `${VAR}` substitution always yields text: a boolean or number field of the YAML file accepts the
 * text of one too (`auth_required: ${NOTES_AUTH}` with NOTES_AUTH=false).
 */
function fromText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?\d+$/.test(text)) return Number(text);
  return value;
}
const yamlBoolean = () => z.preprocess(fromText, z.boolean({ error: "expected true or false" }));
const yamlInt = (min: number, max: number) =>
  z.preprocess(
    fromText,
    z
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` }),
  );

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http or https URL" });

/** A text that a process can receive (no NUL byte), at most `max` characters. */
const processText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\0]*$/, { error: "expected text without NUL characters" });

/** What a stdio server runs: shared by the config file and the admin API. */
export const stdioFields = {
  command: processText(1024).min(1),
  args: z.array(processText(8192)).max(100),
  cwd: processText(1024).regex(/^\//, { error: "expected an absolute path" }),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: "expected an environment variable name" }),
      processText(32768),
    )
    .refine((env) => Object.keys(env).length <= 100, { error: "expected at most 100 variables" }),
};

/** `mcp_services` of the YAML file: backends managed by configuration. */
export const mcpServiceSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    /** Streamable HTTP when absent; it and "sse" need `url`, "stdio" needs `command` (the gateway runs it). */
    transport: z.enum(["streamable-http", "sse", "stdio"]).optional(),
    url: httpUrl.optional(),
    command: stdioFields.command.optional(),
    args: stdioFields.args.optional(),
    cwd: stdioFields.cwd.optional(),
    env: stdioFields.env.optional(),
    auth_required: yamlBoolean().default(true),
    scopes: z.array(z.string().min(1)).default([]),
    /** Milliseconds to the first byte, as in the AuthMCP seed. */
    timeout: yamlInt(100, 600000).optional(),
    enabled: yamlBoolean().default(true),
    /** Client networks (CIDR) that may reach this server; absent: any (src/policy/network-policy.ts). */
    allowed_networks: networkListSchema.optional(),
    /** Only users with a linked identity at one of these upstream providers may use it (their slugs). */
    identity_providers: z.array(providerSlugSchema).min(1).max(50).optional(),
  })
  .superRefine((s, issue) => {
    const problem = (path: string, message: string) =>
      issue.addIssue({ code: "custom", path: [path], message });
    if (s.transport === "stdio") {
      if (s.command === undefined) problem("command", "required for a stdio server");
      if (s.url !== undefined) problem("url", "a stdio server has no URL");
    } else {
      if (s.url === undefined) problem("url", "required for this transport");
      if (s.command !== undefined || s.args !== undefined || s.cwd !== undefined || s.env !== undefined)
        problem("command", "command, args, cwd and env are for the stdio transport");
    }
  });
export type McpServiceConfig = z.output<typeof mcpServiceSchema>;

export const mcpServicesSchema = z.record(serverNameSchema, mcpServiceSchema);

/** `oauth_clients` of the YAML file: pre-registered OAuth clients, by client_id (src/oauth). */
export const oauthClientConfigSchema = z
  .strictObject({
    client_name: z.string().min(1).max(200),
    redirect_uris: z.array(z.string().max(2000)).max(20).default([]),
    /** Makes the client confidential (client_secret_basic or _post); use ${VAR}. At least 32 characters. */
    client_secret: z.string().min(32, { error: "expected at least 32 characters" }).max(512).optional(),
    /** How a confidential client authenticates at the token endpoint. */
    token_endpoint_auth_method: z.enum(["client_secret_basic", "client_secret_post"]).optional(),
    grant_types: z
      .array(z.enum(["authorization_code", "refresh_token", "client_credentials"]))
      .min(1)
      .optional(),
    /** client_credentials: the user the client's tokens act as (policies of that user apply). */
    service_user: z.string().min(1).max(254).optional(),
  })
  .superRefine((c, issue) => {
    const grants = c.grant_types ?? ["authorization_code", "refresh_token"];
    const problem = (path: string, message: string) =>
      issue.addIssue({ code: "custom", path: [path], message });
    if (grants.includes("authorization_code") && c.redirect_uris.length === 0)
      problem("redirect_uris", "expected at least one redirect URI");
    if (grants.includes("client_credentials") && (!c.client_secret || !c.service_user))
      problem("grant_types", "client_credentials needs client_secret and service_user");
    if (c.service_user && !grants.includes("client_credentials"))
      problem("service_user", "service_user is used only with the client_credentials grant");
    if (c.token_endpoint_auth_method && !c.client_secret)
      problem("token_endpoint_auth_method", "a client without client_secret authenticates with none");
  });
export type OAuthClientConfig = z.output<typeof oauthClientConfigSchema>;
export const oauthClientsSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z0-9._~-]{1,255}$/, { error: "expected a client_id of letters, digits and . _ ~ -" }),
  oauthClientConfigSchema,
);
