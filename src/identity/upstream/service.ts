import type { AppContext } from "../../context.ts";
import type { AccessPolicy } from "../../policy/access-policy.ts";
import type { GroupService } from "../../policy/groups.ts";
import type { UserRow } from "../user-store.ts";
import { resolveAccount } from "./accounts.ts";
import { GitHubClient } from "./github-client.ts";
import { UpstreamIdentityStore } from "./identity-store.ts";
import { OidcClient } from "./oidc-client.ts";
import { PendingLogins } from "./pending-logins.ts";
import { providerDisplayName, providerEndpoints, providerScopes } from "./presets.ts";
import { type ProviderFields, providerObjectSchema } from "./provider-schema.ts";
import { IdentityProviderStore } from "./provider-store.ts";
import { ServerProviderLists } from "./server-providers.ts";
import type { UpstreamClient, UpstreamProfile, UpstreamProvider } from "./types.ts";
import { UpstreamUserTokens } from "./user-tokens.ts";

/** Associated data of a sealed client secret: a sealed value moved to another provider does not open. */
const secretAad = (slug: string) => `identity-provider:${slug}`;

/**
 * Sign-in through upstream identity providers: the providers (config file and admin API), one
 * OIDC client each (its discovery and JWKS cached until the provider changes), the sign-ins under
 * way, and the accounts they lead to.
 */
export class UpstreamIdentity {
  readonly identities: UpstreamIdentityStore;
  readonly pending: PendingLogins;
  /** Which providers' users may use which server. */
  readonly serverLists: ServerProviderLists;
  /** People's own upstream tokens, for backends whose credential is `upstream_user_token`. */
  readonly tokens: UpstreamUserTokens;
  private readonly store: IdentityProviderStore;
  private readonly clients = new Map<string, { version: string; client: UpstreamClient }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly policy: AccessPolicy,
    private readonly groups: GroupService,
  ) {
    this.store = new IdentityProviderStore(ctx.db);
    this.identities = new UpstreamIdentityStore(ctx.db);
    this.tokens = new UpstreamUserTokens(ctx, (slug) => this.client(slug));
    this.pending = new PendingLogins(() => ctx.clock.now(), ctx.config.upstreamLoginMinutes * 60_000);
    ctx.users.useUpstreamLookup((userId) => {
      const rows = this.identities.ofUser(userId);
      const row = latest(rows);
      if (!row) return undefined;
      return {
        provider: row.provider,
        subject: row.subject,
        email: row.email,
        groups: parseGroups(row.groups),
        linkedProviders: [...new Set(rows.map((r) => r.provider))],
      };
    });
    this.serverLists = new ServerProviderLists(ctx.db, ctx.config, () => ctx.clock.now());
    policy.restrict((server, principal) => this.serverLists.admits(server, principal));
  }

  /** Every provider, config file first then the admin API's, without secrets opened. */
  all(): {
    slug: string;
    fields: Omit<ProviderFields, "client_secret">;
    hasSecret: boolean;
    source: "config" | "api";
    version: string;
  }[] {
    const fromConfig = Object.entries(this.ctx.config.oauthProviders).map(
      ([slug, { client_secret, ...fields }]) => ({
        slug,
        fields,
        hasSecret: client_secret !== undefined,
        source: "config" as const,
        version: "config",
      }),
    );
    const fromApi = this.store
      .list()
      .filter((row) => !Object.hasOwn(this.ctx.config.oauthProviders, row.slug))
      .flatMap((row) => {
        const parsed = providerObjectSchema.omit({ client_secret: true }).safeParse(JSON.parse(row.settings));
        if (!parsed.success) return [];
        return [
          {
            slug: row.slug,
            fields: parsed.data,
            hasSecret: row.secretSealed !== null,
            source: "api" as const,
            version: String(row.updatedAt),
          },
        ];
      });
    return [...fromConfig, ...fromApi];
  }

  /** The enabled providers in the order of the login page's buttons. */
  enabled(): { slug: string; displayName: string }[] {
    return this.all()
      .filter((p) => p.fields.enabled)
      .sort((a, b) => a.fields.order - b.fields.order || a.slug.localeCompare(b.slug))
      .map((p) => ({ slug: p.slug, displayName: providerDisplayName(p.fields) }));
  }

  /** The client of an enabled provider, with its secret opened; undefined when there is none. */
  async client(slug: string): Promise<UpstreamClient | undefined> {
    const entry = this.all().find((p) => p.slug === slug && p.fields.enabled);
    if (!entry) return undefined;
    const cached = this.clients.get(slug);
    if (cached?.version === entry.version) return cached.client;
    const provider: UpstreamProvider = {
      slug,
      fields: entry.fields,
      clientSecret: await this.secretOf(slug, entry.source),
      source: entry.source,
    };
    const { config } = this.ctx;
    const options = {
      now: () => this.ctx.clock.now(),
      clockToleranceSeconds: config.clockSkewSeconds,
      httpTimeoutMs: config.upstreamHttpTimeoutMs,
      jwksCooldownMs: config.upstreamJwksCooldownSeconds * 1000,
      allowInsecureHttp: config.allowInsecureHttp,
    };
    const endpoints = providerEndpoints(entry.fields);
    const tokenScopes = entry.fields.keep_tokens ? entry.fields.token_scopes : [];
    const scopes = [...new Set([...providerScopes(entry.fields), ...tokenScopes])];
    const client =
      endpoints.protocol === "github"
        ? new GitHubClient(provider, { ...endpoints, scopes }, options)
        : new OidcClient(provider, { ...endpoints, scopes }, options);
    this.clients.set(slug, { version: entry.version, client });
    return client;
  }

  private async secretOf(slug: string, source: "config" | "api"): Promise<string | undefined> {
    if (source === "config") return this.ctx.config.oauthProviders[slug]?.client_secret;
    const sealed = this.store.bySlug(slug)?.secretSealed;
    return sealed ? this.ctx.secretBox.decrypt(sealed, secretAad(slug)) : undefined;
  }

  /** The exact redirect URI registered at the provider for `slug`. */
  redirectUri(slug: string): string {
    return `${this.ctx.config.publicUrl}/login/upstream/${slug}/callback`;
  }

  signIn(provider: UpstreamProvider, profile: UpstreamProfile): UserRow {
    const user = resolveAccount(
      {
        users: this.ctx.users,
        identities: this.identities,
        policy: this.policy,
        groups: this.groups,
        now: () => this.ctx.clock.now(),
      },
      provider,
      profile,
    );
    // Its linked providers may have changed: per-server provider lists decide anew.
    this.policy.userChanged(user.id);
    return user;
  }

  isConfigProvider(slug: string): boolean {
    return Object.hasOwn(this.ctx.config.oauthProviders, slug);
  }

  /** Adds or replaces a provider of the admin API; the secret is kept unless a new one is given. */
  async saveApiProvider(slug: string, fields: ProviderFields, keepSecret: boolean): Promise<void> {
    const { client_secret, ...rest } = fields;
    const now = this.ctx.clock.now();
    const existing = this.store.bySlug(slug);
    const sealed =
      client_secret !== undefined
        ? await this.ctx.secretBox.encrypt(client_secret, secretAad(slug))
        : keepSecret
          ? (existing?.secretSealed ?? null)
          : null;
    this.store.upsert({
      slug,
      settings: JSON.stringify(rest),
      secretSealed: sealed,
      createdAt: existing?.createdAt ?? now,
      updatedAt: Math.max(now, (existing?.updatedAt ?? 0) + 1),
    });
    this.clients.delete(slug);
  }

  apiProviderRaw(slug: string) {
    return this.store.bySlug(slug);
  }

  deleteApiProvider(slug: string): boolean {
    this.clients.delete(slug);
    this.tokens.forgetProvider(slug);
    return this.store.delete(slug);
  }

  /** Removes a link; the user's next sign-in with that identity is a first one again. */
  unlink(provider: string, subject: string): boolean {
    const row = this.identities.find(provider, subject);
    if (!row || !this.identities.delete(provider, subject)) return false;
    this.tokens.forget(row.userId, provider);
    this.ctx.users.refreshPrincipal(row.userId);
    this.policy.userChanged(row.userId);
    return true;
  }
}

function latest<T extends { lastLoginAt: number }>(rows: T[]): T | undefined {
  let found: T | undefined;
  for (const row of rows) if (!found || row.lastLoginAt > found.lastLoginAt) found = row;
  return found;
}

function parseGroups(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
  } catch {
    return [];
  }
}
