import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { json, jsonError } from "../../http/errors.ts";
import {
  checkProviderType,
  providerFieldsSchema,
  providerObjectSchema,
  providerSlugSchema,
} from "../../identity/upstream/provider-schema.ts";
import type { UpstreamIdentity } from "../../identity/upstream/service.ts";
import type { Principal } from "../../identity/user-service.ts";
import { adminHandler, adminJsonHandler, type IdParams, noContent, notFound } from "../guard.ts";

const NO_PARSE = { parse: "none" } as const;
const BASE = "/admin/api/identity-providers";

const createSchema = providerObjectSchema.extend({ slug: providerSlugSchema }).superRefine(checkProviderType);
type IdentityParams = { id: string; provider: string; subject: string };

/**
 * The JSON admin API of upstream identity providers and of users' linked identities. Client
 * secrets are write-only: sealed with the SecretBox before they are stored, never returned (the
 * answer says only whether one is set). Providers of the config file are listed but read-only.
 */
export function identityProviderApiRoutes(ctx: AppContext, upstream: UpstreamIdentity, gateway: Gateway) {
  const view = (slug: string) => {
    const entry = upstream.all().find((p) => p.slug === slug);
    if (!entry) return undefined;
    return {
      slug,
      source: entry.source,
      ...entry.fields,
      has_client_secret: entry.hasSecret,
      redirect_uri: upstream.redirectUri(slug),
    };
  };
  const changed = (admin: Principal, action: string, slug: string) => {
    ctx.securityEvents.record({
      type: "admin_change",
      userId: admin.id,
      details: { action, provider: slug },
    });
    ctx.logger.info({ provider: slug, by: admin.id }, action);
  };
  const serverRefusal = (id: string) => {
    const server = gateway.registry.byId(id);
    if (!server) return notFound("server");
    if (server.managedBy === "config")
      return jsonError(
        409,
        "conflict",
        "this server comes from the config file; set identity_providers there",
      );
    return undefined;
  };
  const readOnly = () =>
    jsonError(409, "conflict", "this provider comes from the config file (oauth_providers); change it there");

  return new Elysia({ name: "admin-api-identity-providers" })
    .get(
      BASE,
      adminHandler(ctx, () => json({ items: upstream.all().map((p) => view(p.slug)) })),
      { detail: { summary: "List upstream identity providers (client secrets never shown)" } },
    )
    .post(
      BASE,
      adminJsonHandler(ctx, createSchema, async (admin, { slug, ...fields }) => {
        if (upstream.all().some((p) => p.slug === slug))
          return jsonError(409, "conflict", "slug: a provider with this slug exists");
        await upstream.saveApiProvider(slug, fields, false);
        changed(admin, "identity provider created", slug);
        return json(view(slug), 201);
      }),
      { ...NO_PARSE, detail: { summary: "Add an upstream identity provider" } },
    )
    .get(
      `${BASE}/:id`,
      adminHandler(ctx, (_admin, { id }: IdParams) => {
        const item = view(id);
        return item ? json(item) : notFound("identity provider");
      }),
      { detail: { summary: "Read an upstream identity provider" } },
    )
    .put(
      `${BASE}/:id`,
      adminJsonHandler(
        ctx,
        providerFieldsSchema,
        async (admin, fields, { id }: IdParams) => {
          // An absent client_secret keeps the stored one (it is never shown, so it cannot be echoed back).
          await upstream.saveApiProvider(id, fields, true);
          changed(admin, "identity provider updated", id);
          return json(view(id));
        },
        {
          before: ({ id }) =>
            upstream.isConfigProvider(id)
              ? readOnly()
              : upstream.apiProviderRaw(id)
                ? undefined
                : notFound("identity provider"),
        },
      ),
      {
        ...NO_PARSE,
        detail: { summary: "Change an upstream identity provider (no client_secret keeps the stored one)" },
      },
    )
    .delete(
      `${BASE}/:id`,
      adminHandler(ctx, (admin, { id }: IdParams) => {
        if (upstream.isConfigProvider(id)) return readOnly();
        if (!upstream.deleteApiProvider(id)) return notFound("identity provider");
        changed(admin, "identity provider deleted", id);
        return noContent();
      }),
      { ...NO_PARSE, detail: { summary: "Delete an upstream identity provider" } },
    )
    .get(
      "/admin/api/mcp-servers/:id/identity-providers",
      adminHandler(ctx, (_admin, { id }: IdParams) => {
        const server = gateway.registry.byId(id);
        if (!server) return notFound("server");
        return json({ identity_providers: upstream.serverLists.of(server) ?? null });
      }),
      { detail: { summary: "The identity providers whose users may use a server" } },
    )
    .put(
      "/admin/api/mcp-servers/:id/identity-providers",
      adminJsonHandler(
        ctx,
        serverProvidersSchema,
        (admin, body, { id }: IdParams) => {
          upstream.serverLists.set(id, body.identity_providers);
          gateway.policy.serverChanged(id);
          ctx.securityEvents.record({
            type: "admin_change",
            userId: admin.id,
            details: { action: "server identity providers set", server: id },
          });
          return json({ identity_providers: body.identity_providers });
        },
        { before: ({ id }) => serverRefusal(id) },
      ),
      { ...NO_PARSE, detail: { summary: "Set the identity providers whose users may use a server" } },
    )
    .delete(
      "/admin/api/mcp-servers/:id/identity-providers",
      adminHandler(ctx, (admin, { id }: IdParams) => {
        const refused = serverRefusal(id);
        if (refused) return refused;
        upstream.serverLists.set(id, undefined);
        gateway.policy.serverChanged(id);
        ctx.securityEvents.record({
          type: "admin_change",
          userId: admin.id,
          details: { action: "server identity providers removed", server: id },
        });
        return noContent();
      }),
      { ...NO_PARSE, detail: { summary: "Remove a server's list of identity providers" } },
    )
    .get(
      "/admin/api/users/:id/identities",
      adminHandler(ctx, (_admin, { id }: IdParams) => {
        if (!ctx.users.byId(id)) return notFound("user");
        return json({ items: upstream.identities.ofUser(id).map(identityView) });
      }),
      { detail: { summary: "A user's linked upstream identities" } },
    )
    .delete(
      "/admin/api/users/:id/identities/:provider/:subject",
      adminHandler(ctx, (admin, { id, provider, subject }: IdentityParams) => {
        const decoded = safeDecode(subject);
        const row = decoded === undefined ? undefined : upstream.identities.find(provider, decoded);
        if (!row || row.userId !== id || !upstream.unlink(provider, row.subject))
          return notFound("linked identity");
        ctx.securityEvents.record({
          type: "admin_change",
          userId: admin.id,
          details: { action: "upstream identity unlinked", provider, user: id },
        });
        return noContent();
      }),
      { ...NO_PARSE, detail: { summary: "Unlink an upstream identity from a user" } },
    );
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

const groupsSchema = z.array(z.string());
const serverProvidersSchema = z.strictObject({
  identity_providers: z.array(providerSlugSchema).min(1).max(50),
});

function identityView(row: {
  provider: string;
  subject: string;
  email: string | null;
  groups: string;
  createdAt: number;
  lastLoginAt: number;
}) {
  const groups = groupsSchema.safeParse(JSON.parse(row.groups));
  return {
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    groups: groups.success ? groups.data : [],
    linked_at: new Date(row.createdAt).toISOString(),
    last_login_at: new Date(row.lastLoginAt).toISOString(),
  };
}
