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
] as const;

export const USER_ASSERTION_HEADER = "X-User-Assertion";

export interface Caller {
  principal: Principal;
  scope: string;
  clientId: string;
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
  if (server.userContext === "headers") {
    return {
      "X-User-Id": principal.id,
      "X-User-Email": principal.email,
      "X-User-Name": principal.username,
      "X-User-Scopes": caller.scope,
      "X-Client-Id": caller.clientId,
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
