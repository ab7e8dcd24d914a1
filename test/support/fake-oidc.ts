import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A person at the fake provider: the claims it tells about them. */
export interface FakePerson {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
}

/** How the next token answer misbehaves (the attacks the gateway must refuse). */
export interface Misbehaviour {
  /** The ID token carries this nonce instead of the one of the request. */
  nonce?: string;
  /** The ID token is signed with a key the JWKS does not publish. */
  foreignKey?: boolean;
  /** The ID token says it comes from this issuer. */
  idTokenIssuer?: string;
}

interface Grant {
  person: FakePerson;
  nonce: string;
  challenge: string;
  redirectUri: string;
}

/**
 * A scripted OpenID provider on loopback: discovery, JWKS (ES256), token (PKCE S256 checked,
 * client_secret_basic), userinfo. Its ID token carries only `sub` (and the nonce): email and groups
 * come from userinfo, as at providers that keep ID tokens small. The test plays the person with
 * `authorize(url, person)`, which returns the URL the provider would send the browser to.
 */
export async function startFakeOidc(options: {
  clientId: string;
  clientSecret: string;
  pathPrefix?: string;
}) {
  const prefix = options.pathPrefix ?? "";
  let keys = await generateKeyPair("ES256", { extractable: true });
  let kid = "k1";
  const foreign = await generateKeyPair("ES256", { extractable: true });
  let publicJwk: JWK = { ...(await exportJWK(keys.publicKey)), kid, alg: "ES256", use: "sig" };
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, FakePerson>();
  const requests: string[] = [];
  let misbehave: Misbehaviour = {};

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request): Promise<Response> => {
      const url = new URL(request.url);
      requests.push(url.pathname);
      if (!url.pathname.startsWith(prefix)) return new Response("not found", { status: 404 });
      url.pathname = url.pathname.slice(prefix.length);
      if (url.pathname === "/.well-known/openid-configuration") {
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["ES256"],
          code_challenge_methods_supported: ["S256"],
          authorization_response_iss_parameter_supported: true,
        });
      }
      if (url.pathname === "/jwks") return Response.json({ keys: [publicJwk] });
      if (url.pathname === "/token" && request.method === "POST") return token(request);
      if (url.pathname === "/userinfo") {
        const person = accessTokens.get(request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "");
        if (!person) return new Response(null, { status: 401 });
        return Response.json(person);
      }
      return new Response("not found", { status: 404 });
    },
  });
  const issuer: string = `http://127.0.0.1:${server.port}${prefix}`;

  async function token(request: Request): Promise<Response> {
    // client_secret_basic: both parts form-urlencoded before base64 (RFC 6749 §2.3.1).
    const basic = atob(request.headers.get("authorization")?.replace(/^Basic /, "") ?? "");
    const [id, secret] = basic.split(":").map((part) => decodeURIComponent(part.replaceAll("+", " ")));
    if (id !== options.clientId || secret !== options.clientSecret)
      return Response.json({ error: "invalid_client" }, { status: 401 });
    const body = new URLSearchParams(await request.text());
    const grant = grants.get(body.get("code") ?? "");
    if (!grant) return Response.json({ error: "invalid_grant" }, { status: 400 });
    grants.delete(body.get("code") ?? "");
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(body.get("code_verifier") ?? ""),
    );
    if (
      Buffer.from(digest).toString("base64url") !== grant.challenge ||
      body.get("redirect_uri") !== grant.redirectUri
    )
      return Response.json({ error: "invalid_grant" }, { status: 400 });
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ nonce: misbehave.nonce ?? grant.nonce })
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(misbehave.idTokenIssuer ?? issuer)
      .setSubject(grant.person.sub)
      .setAudience(options.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(misbehave.foreignKey ? foreign.privateKey : keys.privateKey);
    misbehave = {};
    const accessToken = crypto.randomUUID();
    accessTokens.set(accessToken, grant.person);
    return Response.json({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: 300,
      id_token: idToken,
    });
  }

  return {
    issuer,
    /** Paths the provider was asked for, in order. */
    requests,
    /** Replaces the signing key (a new kid; the JWKS publishes only the new one). */
    async rotateKey() {
      keys = await generateKeyPair("ES256", { extractable: true });
      kid = `k${Number(kid.slice(1)) + 1}`;
      publicJwk = { ...(await exportJWK(keys.publicKey)), kid, alg: "ES256", use: "sig" };
    },
    /** The next token answer misbehaves so. */
    misbehave(next: Misbehaviour) {
      misbehave = next;
    },
    /** Plays the person approving at the provider: the callback URL the browser is sent to. */
    authorize(authorizationUrl: string, person: FakePerson, extra: Record<string, string> = {}): URL {
      const request = new URL(authorizationUrl);
      const q = request.searchParams;
      if (
        !`${request.origin}${request.pathname}`.startsWith(issuer) ||
        q.get("client_id") !== options.clientId
      )
        throw new Error(`not an authorization request to this provider: ${authorizationUrl}`);
      if (q.get("code_challenge_method") !== "S256") throw new Error("no PKCE S256");
      const code = crypto.randomUUID();
      const redirectUri = q.get("redirect_uri") ?? "";
      grants.set(code, {
        person,
        nonce: q.get("nonce") ?? "",
        challenge: q.get("code_challenge") ?? "",
        redirectUri,
      });
      const callback = new URL(redirectUri);
      callback.searchParams.set("code", code);
      callback.searchParams.set("state", q.get("state") ?? "");
      callback.searchParams.set("iss", issuer);
      for (const [k, v] of Object.entries(extra)) callback.searchParams.set(k, v);
      return callback;
    },
    close: () => server.stop(true),
  };
}

export type FakeOidc = Awaited<ReturnType<typeof startFakeOidc>>;
