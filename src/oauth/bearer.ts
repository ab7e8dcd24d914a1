import type { Principal, UserService } from "../identity/user-service.ts";
import { looksLikePersonalToken, type PersonalTokenStore } from "../portal/personal-tokens.ts";
import type { AccessTokenClaims, AccessTokenService } from "./access-tokens.ts";
import type { ResourceCatalog } from "./resources.ts";
import type { RevocationList } from "./revocation.ts";

/** A bearer token the check accepted, with who it stands for. */
export interface BearerAccepted {
  ok: true;
  principal: Principal;
  claims: AccessTokenClaims;
  token: string;
}

export type BearerResult =
  | BearerAccepted
  | {
      ok: false;
      /** No token at all: the 401 carries no error code (RFC 6750 §3.1). */
      error?: "invalid_request" | "invalid_token";
      description: string;
    };

/**
 * The bearer check of every protected endpoint: signature with a known key, iss, exp/nbf,
 * aud equal to the endpoint's resource, not revoked (its jti, or its client for this user), user
 * still active. All in memory.
 */
export class BearerAuthenticator {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly revocations: RevocationList,
    private readonly users: UserService,
    private readonly personalTokens: PersonalTokenStore,
    private readonly resources: ResourceCatalog,
  ) {}

  async authenticate(authorization: string | null, audience: string): Promise<BearerResult> {
    if (!authorization) return { ok: false, description: "a bearer token is required" };
    const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization);
    if (!match) return { ok: false, error: "invalid_request", description: "malformed Authorization header" };
    const token = match[1] as string;
    if (looksLikePersonalToken(token)) return this.personalToken(token, audience);
    const result = await this.tokens.verify(token, audience);
    if (!result.ok) {
      const description =
        result.reason === "expired"
          ? "the access token expired"
          : result.reason === "wrong_audience"
            ? "the access token was not issued for this resource"
            : "the access token is invalid";
      return { ok: false, error: "invalid_token", description };
    }
    if (this.revocations.isRevoked(result.claims)) {
      return { ok: false, error: "invalid_token", description: "the access token was revoked" };
    }
    const principal = this.users.principal(result.claims.sub);
    if (!principal?.isActive) {
      return { ok: false, error: "invalid_token", description: "the user is not active" };
    }
    return { ok: true, principal, claims: result.claims, token };
  }

  /**
   * A personal access token (src/portal/personal-tokens.ts), memory only: live (not revoked, not
   * expired), for this audience (a server it names, or `/mcp` and every server when it names none;
   * never the gateway's own API), its user active. It stands for the user with their full rights
   * on those servers: its claims carry every scope the resource accepts, and the access policy,
   * tool rules and rate limits apply as for any token. `client_id` and `jti` are `pat:{id}`, which
   * is how activity rows and security events name it.
   */
  personalToken(token: string, audience: string): BearerResult {
    const record = this.personalTokens.find(token);
    if (!record) {
      return {
        ok: false,
        error: "invalid_token",
        description: "the personal access token is invalid, expired or revoked",
      };
    }
    const aggregate = this.resources.aggregate;
    let scopes: Iterable<string> | undefined;
    if (audience === aggregate) {
      if (record.servers === null) scopes = this.resources.knownScopes();
    } else if (audience.startsWith(`${aggregate}/`)) {
      const server = audience.slice(aggregate.length + 1);
      if (record.servers === null || record.servers.includes(server))
        scopes = this.resources.scopesOf(audience);
    }
    if (scopes === undefined) {
      return {
        ok: false,
        error: "invalid_token",
        description: "the personal access token is not for this resource",
      };
    }
    const principal = this.users.principal(record.userId);
    if (!principal?.isActive) {
      return { ok: false, error: "invalid_token", description: "the user is not active" };
    }
    const id = `pat:${record.id}`;
    const claims: AccessTokenClaims = {
      iss: this.resources.publicUrl,
      sub: record.userId,
      aud: audience,
      client_id: id,
      scope: [...scopes].join(" "),
      exp: record.expiresAt === null ? NEVER_EXPIRES : Math.floor(record.expiresAt / 1000),
      iat: Math.floor(record.createdAt / 1000),
      jti: id,
    };
    return { ok: true, principal, claims, token };
  }
}

/** `exp` of a personal access token without expiry: 9999-12-31, later than anything compares. */
const NEVER_EXPIRES = 253402300799;

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "")}"`;
}

/** `WWW-Authenticate: Bearer …` for a 401/403 (RFC 6750 §3, RFC 9728 §5.1). */
export function wwwAuthenticate(params: {
  resourceMetadata?: string;
  scope?: string;
  error?: string;
  description?: string;
}): string {
  const parts: string[] = [];
  if (params.error) parts.push(`error=${quote(params.error)}`);
  if (params.description) parts.push(`error_description=${quote(params.description)}`);
  if (params.scope) parts.push(`scope=${quote(params.scope)}`);
  if (params.resourceMetadata) parts.push(`resource_metadata=${quote(params.resourceMetadata)}`);
  return parts.length > 0 ? `Bearer ${parts.join(", ")}` : "Bearer";
}
