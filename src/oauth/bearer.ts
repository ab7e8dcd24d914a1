import type { Principal, UserService } from "../identity/user-service.ts";
import type { AccessTokenClaims, AccessTokenService } from "./access-tokens.ts";
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
  ) {}

  async authenticate(authorization: string | null, audience: string): Promise<BearerResult> {
    if (!authorization) return { ok: false, description: "a bearer token is required" };
    const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization);
    if (!match) return { ok: false, error: "invalid_request", description: "malformed Authorization header" };
    const token = match[1] as string;
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
}

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
