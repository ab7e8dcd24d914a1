import { SignJWT } from "jose";
import { randomToken } from "../crypto/random.ts";
import type { Principal } from "../identity/user-service.ts";
import type { KeyStore } from "../oauth/keys.ts";
import type { McpServer } from "./types.ts";

/** Header names the gateway owns: never forwarded from the client. */
export const USER_CONTEXT_HEADERS = [
  "x-user-id",
  "x-user-email",
  "x-user-name",
  "x-user-scopes",
  "x-client-id",
  "x-user-assertion",
  "x-user-provider",
  "x-user-upstream-subject",
  "x-user-upstream-email",
  "x-user-groups",
] as const;

export const USER_ASSERTION_HEADER = "X-User-Assertion";

export interface Caller {
  principal: Principal;
  scope: string;
  clientId: string;
  /** The client's address (socket peer or trusted proxy's word), where the endpoint knows it. */
  ip?: string;
}

/**
 * The user's identity for the backend: plain headers, or a short-lived JWT (typ
 * `user-assertion+jwt`) signed with the gateway's current key, verifiable from
 * `/.well-known/jwks.json`. With JWT_ALGORITHM=HS256 there is no public key, so the admin API
 * refuses the "jwt" mode and, should one exist anyway, no assertion is sent.
 */
export async function userContextHeaders(
  server: McpServer,
  caller: Caller | undefined,
  keys: KeyStore,
  issuer: string,
  now: number,
  lifetimeSeconds: number,
): Promise<Record<string, string>> {
  if (!caller || server.userContext === "none") return {};
  const { principal } = caller;
  const { upstream } = principal;
  if (server.userContext === "headers") {
    return {
      "X-User-Id": principal.id,
      "X-User-Email": principal.email,
      "X-User-Name": principal.username,
      "X-User-Scopes": caller.scope,
      "X-Client-Id": caller.clientId,
      // The upstream identity of the user's last sign-in through a provider; groups as a JSON
      // array, since group names may contain commas and spaces.
      ...(upstream
        ? {
            "X-User-Provider": upstream.provider,
            "X-User-Upstream-Subject": upstream.subject,
            ...(upstream.email ? { "X-User-Upstream-Email": upstream.email } : {}),
            "X-User-Groups": JSON.stringify(upstream.groups),
          }
        : {}),
    };
  }
  const key = keys.signingKey();
  if (key.alg === "HS256") return {};
  const iat = Math.floor(now / 1000);
  const jwt = await new SignJWT({
    email: principal.email,
    preferred_username: principal.username,
    scope: caller.scope,
    client_id: caller.clientId,
    ...(upstream
      ? {
          upstream: {
            provider: upstream.provider,
            sub: upstream.subject,
            email: upstream.email,
            groups: upstream.groups,
          },
        }
      : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "user-assertion+jwt" })
    .setIssuer(issuer)
    .setSubject(principal.id)
    .setAudience(server.url)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .setJti(randomToken(16))
    .sign(key.key);
  return { [USER_ASSERTION_HEADER]: jwt };
}
