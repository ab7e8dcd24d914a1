import { z } from "zod";
import { serverNameSchema } from "../../config/structured.ts";
import type { ServerInput } from "../../gateway/registry.ts";
import type { BackendCredential } from "../../gateway/types.ts";
import { backendUrlShapeProblem } from "../../gateway/url-guard.ts";

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
]);

const fields = {
  name: serverNameSchema,
  display_name: z.string().trim().min(1).max(200),
  url: backendUrl,
  // "sse": a legacy HTTP+SSE backend (2024-11-05), bridged so clients still speak Streamable HTTP.
  transport: z.enum(["streamable-http", "sse"]),
  auth_required: z.boolean(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, { error: "expected a scope token" }))
    .max(50),
  timeout_ms: z.number().int().min(100).max(600000),
  enabled: z.boolean(),
  open_to_all: z.boolean(),
  user_context: z.enum(["none", "headers", "jwt"]),
  credential: credentialSchema,
};

export const createServerSchema = z.strictObject({
  ...fields,
  display_name: fields.display_name.optional(),
  transport: fields.transport.optional(),
  auth_required: fields.auth_required.optional(),
  scopes: fields.scopes.optional(),
  timeout_ms: fields.timeout_ms.optional(),
  enabled: fields.enabled.optional(),
  open_to_all: fields.open_to_all.optional(),
  user_context: fields.user_context.optional(),
  credential: fields.credential.optional(),
});

export const patchServerSchema = createServerSchema.partial();

type CreateBody = z.output<typeof createServerSchema>;
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
  }
}

export function toServerInput(body: Partial<CreateBody>): Partial<ServerInput> {
  return {
    name: body.name,
    displayName: body.display_name,
    url: body.url,
    transport: body.transport,
    authRequired: body.auth_required,
    scopes: body.scopes,
    timeoutMs: body.timeout_ms,
    enabled: body.enabled,
    openToAll: body.open_to_all,
    userContext: body.user_context,
    credential: body.credential ? toCredential(body.credential) : undefined,
  };
}
