import { z } from "zod";

/** A provider's slug: the path segment in /login/upstream/{slug} and the key in `oauth_providers`. */
export const providerSlugSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
  error: "expected 1–32 of a-z, 0-9 and '-', starting with a letter or digit",
});

/** `${VAR}` substitution yields text: booleans and numbers of the YAML file accept their text too. */
function fromText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?\d+$/.test(text)) return Number(text);
  return value;
}
const flag = (def: boolean) =>
  z.preprocess(fromText, z.boolean({ error: "expected true or false" })).default(def);

const shortText = (max: number) => z.string().min(1).max(max);

/** Signature algorithms an ID token may use; `none` and HMAC with the client secret are never accepted. */
export const ID_TOKEN_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** The kinds of provider: generic OpenID Connect, presets of it, and GitHub (OAuth 2.0, not OIDC). */
export const PROVIDER_TYPES = [
  "oidc",
  "google",
  "entra",
  "okta",
  "keycloak",
  "auth0",
  "gitlab",
  "github",
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const httpsOrLoopbackUrl = z.url({ protocol: /^https?$/, error: "expected an http or https URL" }).max(2000);
const hostName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/,
    {
      error: "expected a host name such as example.okta.com",
    },
  );

/**
 * One upstream identity provider, as the YAML file (`oauth_providers.<slug>`) and the admin API
 * give it. Snake case like the rest of the file. Which of `issuer`, `tenant`, `domain`,
 * `base_url`, `realm` are needed depends on `type` (see presets.ts).
 */
export const providerObjectSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES, { error: `expected one of ${PROVIDER_TYPES.join(", ")}` }),
  /** The button's text after "Sign in with"; the preset's name when absent. */
  display_name: shortText(100).optional(),
  /** type oidc: the issuer URL (discovery at {issuer}/.well-known/openid-configuration). */
  issuer: httpsOrLoopbackUrl.optional(),
  /** type entra: the directory (tenant) ID, a GUID. */
  tenant: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
      error: "expected the directory (tenant) ID, a GUID",
    })
    .optional(),
  /** type okta, auth0: the organisation's domain (example.okta.com, example.eu.auth0.com). */
  domain: hostName.optional(),
  /** type okta: a custom authorization server's id ("default"); absent: the org authorization server. */
  authorization_server: z
    .string()
    .regex(/^[A-Za-z0-9]{1,64}$/, { error: "expected an authorization server id" })
    .optional(),
  /** type keycloak: the server's URL; gitlab, github: a self-managed instance (default gitlab.com, github.com). */
  base_url: httpsOrLoopbackUrl.optional(),
  /** type github: the REST API's URL (default https://api.github.com; GitHub Enterprise: {base_url}/api/v3). */
  api_url: httpsOrLoopbackUrl.optional(),
  /** type keycloak: the realm. */
  realm: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: "expected a realm name" })
    .optional(),
  client_id: shortText(500),
  /** Absent for a public client (PKCE only). Write-only in the admin API. */
  client_secret: z.string().min(1).max(2000).optional(),
  /** Scopes asked for; the preset's when absent. */
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, { error: "expected a scope token" }))
    .max(50)
    .optional(),
  /** Place of the button on the login page: lower first, then by slug. */
  order: z.preprocess(fromText, z.number().int().min(-1000).max(1000)).default(0),
  enabled: flag(true),
  /** Create a gateway user at the first sign-in of an unknown person (else only linked users get in). */
  jit_provisioning: flag(false),
  /** Link a first sign-in to an existing user with the same, verified, email. Off: only (provider, subject) links. */
  link_by_verified_email: flag(false),
  /** When not empty, the email's domain must be one of these (case-insensitive). */
  allowed_email_domains: z
    .array(z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, { error: "expected a domain name" }))
    .max(100)
    .default([]),
  require_verified_email: flag(true),
  /** When not empty, the person must be in at least one of these upstream groups. */
  required_groups: z.array(shortText(200)).max(100).default([]),
  /** type github: when not empty, the person must be a member of one of these organisations. */
  allowed_organizations: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, { error: "expected an organisation login" }))
    .max(100)
    .default([]),
  /** The claim (ID token or userinfo) that lists the person's groups (GitHub: teams as org/team). */
  groups_claim: shortText(100).default("groups"),
  /** Upstream group → gateway group name; mapped groups are set on every sign-in when `sync_groups`. */
  group_mapping: z.record(shortText(200), shortText(100)).default({}),
  sync_groups: flag(true),
  /**
   * Keep the person's upstream access and refresh tokens from each sign-in (sealed, per user), for
   * servers whose backend credential is `upstream_user_token` naming this provider.
   */
  keep_tokens: flag(false),
  /** With keep_tokens: scopes asked at sign-in besides `scopes`, for what backends do with the token (offline_access, repo…). */
  token_scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, { error: "expected a scope token" }))
    .max(50)
    .default([]),
  id_token_algorithms: z
    .array(z.enum(ID_TOKEN_ALGORITHMS))
    .min(1)
    .default(["RS256", "PS256", "ES256", "EdDSA"]),
});

/** Which fields each type needs, and which it does not take. */
const NEEDS: Record<ProviderType, readonly string[]> = {
  oidc: ["issuer"],
  google: [],
  entra: ["tenant"],
  okta: ["domain"],
  keycloak: ["base_url", "realm"],
  auth0: ["domain"],
  gitlab: [],
  github: [],
};
const TAKES: Record<ProviderType, readonly string[]> = {
  oidc: ["issuer"],
  google: [],
  entra: ["tenant"],
  okta: ["domain", "authorization_server"],
  keycloak: ["base_url", "realm"],
  auth0: ["domain"],
  gitlab: ["base_url"],
  github: ["base_url", "api_url", "allowed_organizations"],
};
const TYPE_SPECIFIC = [
  "issuer",
  "tenant",
  "domain",
  "authorization_server",
  "base_url",
  "api_url",
  "realm",
] as const;

export function checkProviderType(
  p: { type: ProviderType } & Partial<Record<(typeof TYPE_SPECIFIC)[number], unknown>> & {
      allowed_organizations?: unknown[];
      token_scopes?: unknown[];
      keep_tokens?: boolean;
    },
  ctx: z.RefinementCtx,
): void {
  for (const field of NEEDS[p.type])
    if (p[field as (typeof TYPE_SPECIFIC)[number]] === undefined)
      ctx.addIssue({ code: "custom", path: [field], message: `required for type ${p.type}` });
  for (const field of TYPE_SPECIFIC)
    if (p[field] !== undefined && !TAKES[p.type].includes(field))
      ctx.addIssue({ code: "custom", path: [field], message: `not used by type ${p.type}` });
  if ((p.token_scopes?.length ?? 0) > 0 && p.keep_tokens !== true)
    ctx.addIssue({ code: "custom", path: ["token_scopes"], message: "only with keep_tokens: true" });
  if ((p.allowed_organizations?.length ?? 0) > 0 && p.type !== "github")
    ctx.addIssue({ code: "custom", path: ["allowed_organizations"], message: "only for type github" });
}

export const providerFieldsSchema = providerObjectSchema.superRefine(checkProviderType);

export type ProviderFields = z.output<typeof providerFieldsSchema>;
export type ProviderFieldsInput = z.input<typeof providerFieldsSchema>;

/** `oauth_providers` of the YAML file. */
export const oauthProvidersSchema = z.record(providerSlugSchema, providerFieldsSchema);
