import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { exportSPKI, importJWK, type JWK, SignJWT } from "jose";
import { createUser, type TestGateway, testGateway } from "../support/context.ts";

const PUBLIC = "https://gw.example.test";
const ALPHA = `${PUBLIC}/mcp/alpha`;
let gw: TestGateway;
let userId: string;
beforeEach(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
  gw.ctx.resources.addServerLookup((n) => n === "alpha" || n === "beta");
  userId = (await createUser(gw, "alice")).id;
});
afterEach(() => gw.close());

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function claims() {
  const now = Math.floor(gw.clock.now() / 1000);
  return {
    iss: PUBLIC,
    sub: userId,
    aud: ALPHA,
    client_id: "c",
    scope: "mcp",
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
  };
}

async function check(token: string, audience = ALPHA) {
  return gw.ctx.bearer.authenticate(`Bearer ${token}`, audience);
}

describe("bearer check refuses forgeries", () => {
  test("a genuine token passes (control)", async () => {
    const { token } = await gw.ctx.accessTokens.issue({
      subject: userId,
      audience: ALPHA,
      clientId: "c",
      scope: "mcp",
      ttlSeconds: 300,
    });
    expect((await check(token)).ok).toBe(true);
  });

  test("alg: none", async () => {
    const kid = (gw.ctx.keys.jwks().keys[0] as { kid: string }).kid;
    const token = `${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(claims())}.`;
    const result = await check(token);
    expect(result.ok).toBe(false);
    const unsigned = `${b64({ alg: "none", typ: "at+jwt", kid })}.${b64(claims())}.AAAA`;
    expect((await check(unsigned)).ok).toBe(false);
  });

  test("HS256 signed with the public key (algorithm confusion)", async () => {
    const jwk = gw.ctx.keys.jwks().keys[0] as JWK & { kid: string; alg: string };
    expect(jwk.alg).not.toBe("HS256");
    const pem = await exportSPKI((await importJWK(jwk, jwk.alg)) as CryptoKey);
    for (const secret of [pem, JSON.stringify(jwk), jwk.x ?? jwk.n ?? "x"]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: jwk.kid })
        .sign(new TextEncoder().encode(secret));
      expect((await check(token)).ok).toBe(false);
    }
  });

  test("unknown kid and a key of our own algorithm that is not ours", async () => {
    const jwk = gw.ctx.keys.jwks().keys[0] as JWK & { kid: string; alg: string };
    const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]);
    for (const kid of [jwk.kid, "other-kid"]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid })
        .sign(privateKey);
      const result = await check(token);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toBe("invalid_token");
    }
  });

  test("token for server A used at B and at the aggregate", async () => {
    const { token } = await gw.ctx.accessTokens.issue({
      subject: userId,
      audience: ALPHA,
      clientId: "c",
      scope: "mcp",
      ttlSeconds: 300,
    });
    expect((await check(token, `${PUBLIC}/mcp/beta`)).ok).toBe(false);
    expect((await check(token, `${PUBLIC}/mcp`)).ok).toBe(false);
  });

  test("expired token", async () => {
    const { token } = await gw.ctx.accessTokens.issue({
      subject: userId,
      audience: ALPHA,
      clientId: "c",
      scope: "mcp",
      ttlSeconds: 60,
    });
    gw.clock.advance(60_000 + 120_000);
    expect((await check(token)).ok).toBe(false);
  });
});
