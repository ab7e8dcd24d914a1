import { and, eq, gt, isNull } from "drizzle-orm";
import { type ClientConfig, clientConfigs, tokenVariable } from "../admin/client-config.ts";
import type { AppContext } from "../context.ts";
import { refreshTokens } from "../db/schema/index.ts";
import type { Gateway } from "../gateway/module.ts";
import { endUserCredentials } from "../identity/user-credentials.ts";
import type { Principal } from "../identity/user-service.ts";
import type { OAuthServer } from "../oauth/server.ts";
import { revokeClientTokens } from "../oauth/token-issuer.ts";
import type { PersonalToken } from "./personal-tokens.ts";
import type { TokenRequest } from "./token-form.ts";

const DAY_MS = 86_400_000;

/** A server as the portal shows it to one person: where to connect and how to configure clients. */
export interface PortalServer {
  name: string;
  displayName: string;
  url: string;
  clients: ClientConfig[];
}

/** An OAuth client the person has allowed, with what it may reach. */
export interface ConnectedApplication {
  clientId: string;
  /** The client's registered name; its id when it has none (or is no longer registered). */
  name: string;
  resources: string[];
  /** Refresh tokens it holds for this person that still work. */
  activeRefreshTokens: number;
  since: number;
}

/** Where the request came from, for the security events. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

export type CreateTokenResult =
  | { ok: true; token: string; record: PersonalToken }
  | { ok: false; error: string };

/**
 * What the user portal does for the signed-in person, with no HTTP in it: their servers (the
 * access policy decides), their personal access tokens, their connected applications, their
 * password and sessions.
 */
export class PortalService {
  constructor(
    private readonly ctx: AppContext,
    private readonly gateway: Gateway,
    private readonly oauth: OAuthServer,
  ) {}

  /**
   * The enabled servers this person may use (the proxy's own decision), by name, each with the
   * client configurations. Codex is told to use a personal access token (it cannot do OAuth with
   * a token variable otherwise).
   */
  servers(principal: Principal): PortalServer[] {
    const { publicUrl } = this.ctx.config;
    return this.gateway.registry
      .list()
      .filter((server) => server.enabled && this.gateway.policy.canUse(server, principal))
      .map((server) => {
        const url = this.ctx.resources.serverResource(server.name);
        return {
          name: server.name,
          displayName: server.displayName,
          url,
          clients: withTokenNote(clientConfigs(server.name, url, publicUrl), server.name),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** `/mcp`, every server at one URL, and its client configurations. */
  aggregate(): { url: string; separator: string; clients: ClientConfig[] } {
    const url = this.ctx.resources.aggregate;
    return {
      url,
      separator: this.ctx.config.aggregateToolSeparator,
      clients: withTokenNote(clientConfigs("authmcp", url, this.ctx.config.publicUrl), "authmcp"),
    };
  }

  tokens(userId: string): PersonalToken[] {
    return this.ctx.personalTokens.listForUser(userId);
  }

  /** Creates a personal access token within the per-user maximum; records `token_issued`. */
  createToken(principal: Principal, request: TokenRequest, origin: RequestOrigin): CreateTokenResult {
    const { personalTokenMaxPerUser } = this.ctx.config;
    if (this.ctx.personalTokens.countLive(principal.id) >= personalTokenMaxPerUser) {
      return {
        ok: false,
        error: `You already have ${personalTokenMaxPerUser} tokens, the most allowed. Revoke one first.`,
      };
    }
    const expiresAt =
      request.expiresInDays === 0 ? null : this.ctx.clock.now() + request.expiresInDays * DAY_MS;
    const { token, record } = this.ctx.personalTokens.create({
      userId: principal.id,
      name: request.name,
      servers: request.servers,
      expiresAt,
    });
    this.ctx.securityEvents.record({
      type: "token_issued",
      userId: principal.id,
      clientId: `pat:${record.id}`,
      ...origin,
      details: {
        kind: "personal_access_token",
        name: record.name,
        servers: record.servers ?? "all",
        expiresAt,
      },
    });
    return { ok: true, token, record };
  }

  /** Revokes one of the person's own tokens; false when it is not theirs or not live. */
  revokeToken(principal: Principal, id: string, origin: RequestOrigin): boolean {
    const token = this.ctx.personalTokens.byId(id);
    if (!token || token.userId !== principal.id) return false;
    return revokePersonalToken(this.ctx, id, principal.id, origin) !== undefined;
  }

  /** The OAuth clients the person has consented to, one entry per client. */
  applications(userId: string): ConnectedApplication[] {
    const now = this.ctx.clock.now();
    const live = this.ctx.db
      .select({ clientId: refreshTokens.clientId })
      .from(refreshTokens)
      .where(
        and(
          eq(refreshTokens.userId, userId),
          isNull(refreshTokens.revokedAt),
          isNull(refreshTokens.rotatedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .all();
    const byClient = new Map<string, ConnectedApplication>();
    for (const consent of this.oauth.consents.listForUser(userId)) {
      let app = byClient.get(consent.clientId);
      if (app === undefined) {
        app = {
          clientId: consent.clientId,
          name: this.oauth.clientStore.find(consent.clientId)?.name || consent.clientId,
          resources: [],
          activeRefreshTokens: live.filter((row) => row.clientId === consent.clientId).length,
          since: consent.createdAt,
        };
        byClient.set(consent.clientId, app);
      }
      app.resources.push(consent.resource);
      app.since = Math.min(app.since, consent.createdAt);
    }
    return [...byClient.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Disconnects a client: every consent of the person for it (the next authorization asks again)
   * and every token it holds for them. False when the person had not connected it.
   */
  disconnect(
    principal: Principal,
    clientId: string,
    origin: RequestOrigin,
    by: "user" | "admin" = "user",
  ): boolean {
    const consents = this.oauth.consents.listForUser(principal.id).filter((c) => c.clientId === clientId);
    if (consents.length === 0) return false;
    for (const consent of consents) this.oauth.consents.revoke(principal.id, consent.id);
    revokeClientTokens(this.ctx, clientId, principal.id);
    this.ctx.securityEvents.record({
      type: "consent_revoked",
      userId: principal.id,
      clientId,
      ...origin,
      details: { by, resources: consents.map((c) => c.resource) },
    });
    return true;
  }

  /**
   * Ends every credential of the person: access and refresh tokens, personal access tokens, MCP
   * sessions, every browser session (the caller starts a new one when the person stays signed in).
   */
  endEverything(principal: Principal, origin: RequestOrigin, reason: string): void {
    endUserCredentials(this.ctx, principal.id);
    this.ctx.securityEvents.record({
      type: "token_revoked",
      userId: principal.id,
      ...origin,
      details: { by: "user", reason, scope: "every credential" },
    });
  }
}

/**
 * Revokes a personal access token (by its owner or an administrator) and records `token_revoked`.
 * The bearer check refuses it from the next request on. Undefined when not live.
 */
export function revokePersonalToken(
  ctx: AppContext,
  id: string,
  by: string,
  origin: RequestOrigin,
): PersonalToken | undefined {
  const revoked = ctx.personalTokens.revoke(id);
  if (revoked === undefined) return undefined;
  ctx.securityEvents.record({
    type: "token_revoked",
    userId: revoked.userId,
    clientId: `pat:${revoked.id}`,
    ...origin,
    details: { kind: "personal_access_token", name: revoked.name, by },
  });
  return revoked;
}

function withTokenNote(clients: ClientConfig[], name: string): ClientConfig[] {
  const variable = tokenVariable(name);
  return clients.map((config) =>
    config.client === "Codex"
      ? {
          ...config,
          note: `Put a personal access token (Access tokens page) in ${variable}, e.g. export ${variable}=amcp_pat_…; or drop the bearer_token_env_var line and run \`codex mcp login ${name}\` to sign in through the browser.`,
        }
      : config,
  );
}
