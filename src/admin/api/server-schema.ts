import { z } from "zod";
import { PINNING_MODES } from "../../audit/pinning/definitions.ts";
import { serverNameSchema, stdioFields } from "../../config/structured.ts";
import type { ServerInput } from "../../gateway/registry.ts";
import type { BackendCredential } from "../../gateway/types.ts";
import { backendUrlShapeProblem } from "../../gateway/url-guard.ts";
import { providerSlugSchema } from "../../identity/upstream/provider-schema.ts";
import { networkListSchema } from "../../policy/network-schema.ts";

/** The shape only: where the URL leads is checked by the routes (settings and DNS). */
const backendUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = backendUrlShapeProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Header names a static credential may set: tokens, none the proxy owns. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "accept",
  "connection",
  "transfer-encoding",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
  "x-user-id",
  "x-user-email",
  "x-user-name",
  "x-user-scopes",
  "x-client-id",
  "x-user-assertion",
]);
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, { error: "expected an HTTP header name" })
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), {
    error: "this header is set by the gateway",
  });
const headerValue = z
  .string()
  .min(1)
  .max(8192)
  .regex(/^[^\r\n\0]*$/, { error: "header values cannot contain line breaks" });

const credentialSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({
    type: z.literal("headers"),
    headers: z
      .record(headerName, headerValue)
      .refine((h) => Object.keys(h).length > 0 && Object.keys(h).length <= 20, {
        error: "expected 1 to 20 headers",
      }),
  }),
  z.strictObject({ type: z.literal("bearer"), token: headerValue }),
  z.strictObject({
    type: z.literal("client_credentials"),
    token_url: backendUrl,
    client_id: z.string().min(1).max(512),
    client_secret: z.string().min(1).max(4096),
    scope: z.string().max(1024).optional(),
  }),
  // The requesting person's own token at this upstream identity provider (its keep_tokens on).
  z.strictObject({ type: z.literal("upstream_user_token"), provider: providerSlugSchema }),
]);

const fields = {
  name: serverNameSchema,
  display_name: z.string().trim().min(1).max(200),
  url: backendUrl,
  // "sse": a legacy HTTP+SSE backend (2024-11-05), bridged so clients still speak Streamable HTTP.
  // "stdio": a command the gateway runs and bridges (command, args, cwd, env instead of url).
  transport: z.enum(["streamable-http", "sse", "stdio"]),
  ...stdioFields,
  auth_required: z.boolean(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, { error: "expected a scope token" }))
    .max(50),
  timeout_ms: z.number().int().min(100).max(600000),
  enabled: z.boolean(),
  open_to_all: z.boolean(),
  user_context: z.enum(["none", "headers", "jwt"]),
  credential: credentialSchema,
  // Tool-definition pinning (src/audit/pinning); stored apart from the server's row.
  pinning_mode: z.enum(PINNING_MODES),
  /** Client networks that may reach the server (null or []: any); kept by the network policy. */
  allowed_networks: networkListSchema.nullable(),
};

const serverObject = z.strictObject({
  ...fields,
  url: fields.url.optional(),
  command: fields.command.optional(),
  args: fields.args.optional(),
  cwd: fields.cwd.optional(),
  env: fields.env.optional(),
  display_name: fields.display_name.optional(),
  transport: fields.transport.optional(),
  auth_required: fields.auth_required.optional(),
  scopes: fields.scopes.optional(),
  timeout_ms: fields.timeout_ms.optional(),
  enabled: fields.enabled.optional(),
  open_to_all: fields.open_to_all.optional(),
  user_context: fields.user_context.optional(),
  credential: fields.credential.optional(),
  pinning_mode: fields.pinning_mode.optional(),
  allowed_networks: fields.allowed_networks.optional(),
});

const STDIO_ONLY = ["command", "args", "cwd", "env"] as const;

/** A stdio server has a command and none of the HTTP fields; an HTTP server a URL and no command. */
export const createServerSchema = serverObject.superRefine((body, ctx) => {
  const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (body.transport === "stdio") {
    if (body.command === undefined) problem("command", "required for a stdio server");
    if (body.url !== undefined) problem("url", "a stdio server has no URL");
    if (body.credential !== undefined && body.credential.type !== "none")
      problem("credential", "a stdio server takes none");
    if (body.user_context !== undefined && body.user_context !== "none")
      problem("user_context", "a stdio server takes none");
    return;
  }
  if (body.url === undefined) problem("url", "required for this transport");
  if (body.credential?.type === "upstream_user_token" && body.auth_required === false)
    problem("credential", "upstream_user_token needs auth_required: a person to act for");
  for (const field of STDIO_ONLY) {
    if (body[field] !== undefined) problem(field, "only for the stdio transport");
  }
});

/**
 * A PATCH replaces a stdio server's command whole: args, cwd and env come with `command` (args
 * and cwd left out are cleared; env left out keeps its values).
 */
export const patchServerSchema = serverObject.partial().superRefine((body, ctx) => {
  if (body.command !== undefined) return;
  for (const field of ["args", "cwd", "env"] as const) {
    if (body[field] !== undefined)
      ctx.addIssue({ code: "custom", path: [field], message: "give `command` with it" });
  }
});

type CreateBody = z.output<typeof serverObject>;
type CredentialBody = z.output<typeof credentialSchema>;

function toCredential(body: CredentialBody): BackendCredential {
  switch (body.type) {
    case "none":
      return { kind: "none" };
    case "headers":
      return { kind: "headers", headers: body.headers };
    case "bearer":
      return { kind: "bearer", token: body.token };
    case "client_credentials":
      return {
        kind: "client_credentials",
        tokenUrl: body.token_url,
        clientId: body.client_id,
        clientSecret: body.client_secret,
        scope: body.scope,
      };
    case "upstream_user_token":
      return { kind: "upstream_user_token", provider: body.provider };
  }
}

export function toServerInput(body: Partial<CreateBody>): Partial<ServerInput> {
  return {
    name: body.name,
    displayName: body.display_name,
    url: body.url,
    transport: body.transport,
    stdio:
      body.command === undefined
        ? undefined
        : { command: body.command, args: body.args ?? [], cwd: body.cwd, env: body.env },
    authRequired: body.auth_required,
    scopes: body.scopes,
    timeoutMs: body.timeout_ms,
    enabled: body.enabled,
    openToAll: body.open_to_all,
    userContext: body.user_context,
    credential: body.credential ? toCredential(body.credential) : undefined,
  };
}
