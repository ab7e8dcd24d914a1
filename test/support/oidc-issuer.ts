import type { Server } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

/** A person with an account at the provider; the dev login form takes the `sub` as login name. */
export interface IssuerAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
}

/**
 * A real OpenID provider (the `oidc-provider` package) on loopback, with its development login
 * and consent pages (any password is accepted for a known login), PKCE required, and a `groups`
 * claim. One confidential client, whose redirect URI is the gateway's callback.
 */
export async function startOidcIssuer(options: {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  accounts: IssuerAccount[];
}) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "issuer-key-1", alg: "RS256", use: "sig" };
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));
  let server: Server | undefined;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["test-cookie-key-of-the-issuer"] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups"],
    },
    scopes: ["openid", "email", "profile", "groups"],
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ ...account }) };
    },
  });
  await new Promise<void>((resolve) => {
    server = provider.listen(port, "127.0.0.1", () => resolve()) as Server;
  });
  return {
    issuer,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

export type OidcIssuer = Awaited<ReturnType<typeof startOidcIssuer>>;
