import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { ENCRYPTION_KEY_FILE, SESSION_SECRET_FILE } from "../../src/context.ts";
import { readOrCreateSecretFile, writeSecretFile } from "../../src/crypto/secret-files.ts";
import { HS256_SECRET_FILE, SIGNING_KEYS_FILE } from "../../src/oauth/keys.ts";
import { createUser, login, tempDir, testGateway } from "../support/context.ts";

describe("secrets generated on first start", () => {
  test("kept in the data directory with mode 0600 and reused after a restart", async () => {
    const dir = tempDir();
    const first = await testGateway({}, { dir });
    await createUser(first, "alice");
    const tokens = await login(first, "alice");
    const sealed = await first.ctx.secretBox.encrypt("backend-secret", "server-1");
    const jwksBefore = await (await first.request("/.well-known/jwks.json")).json();
    await first.close();

    for (const file of [SIGNING_KEYS_FILE, ENCRYPTION_KEY_FILE, SESSION_SECRET_FILE]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }

    const second = await testGateway({}, { dir, clock: first.clock });
    const me = await second.request("/auth/me", {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(await second.ctx.secretBox.decrypt(sealed, "server-1")).toBe("backend-secret");
    expect(await (await second.request("/.well-known/jwks.json")).json()).toEqual(jwksBefore);
    await second.close();
  });

  test("the JWKS publishes the public key with its kid, and it verifies issued tokens", async () => {
    const gateway = await testGateway();
    await createUser(gateway, "bob");
    const tokens = await login(gateway, "bob");
    const response = await gateway.request("/.well-known/jwks.json");
    expect(response.headers.get("content-type")).toContain("application/jwk-set+json");
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    const key = jwks.keys[0] as Record<string, string>;
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key.kid).toBeString();
    expect(key.d).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      createLocalJWKSet(jwks as never),
      {
        currentDate: new Date(gateway.clock.now()),
      },
    );
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: key.kid, typ: "at+jwt" });
    expect(payload.aud).toEqual([gateway.ctx.config.publicUrl, `${gateway.ctx.config.publicUrl}/mcp`]);
    await gateway.close();
  });

  test("RS256 keys, and a change of algorithm adds a key while the old one keeps verifying", async () => {
    const dir = tempDir();
    const es = await testGateway({}, { dir });
    await createUser(es, "carol");
    const esTokens = await login(es, "carol");
    await es.close();
    const rs = await testGateway({ JWT_ALGORITHM: "RS256" }, { dir, clock: es.clock });
    const jwks = (await (await rs.request("/.well-known/jwks.json")).json()) as { keys: { alg: string }[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    const rsTokens = await login(rs, "carol");
    expect(JSON.parse(atob(rsTokens.access_token.split(".")[0] as string)).alg).toBe("RS256");
    // The retired ES256 key still verifies the tokens it signed until they expire.
    const me = await rs.request("/auth/me", {
      headers: { authorization: `Bearer ${esTokens.access_token}` },
    });
    expect(me.status).toBe(200);
    rs.clock.advance(31 * 60_000);
    const expired = await rs.request("/auth/me", {
      headers: { authorization: `Bearer ${esTokens.access_token}` },
    });
    expect(expired.status).toBe(401);
    await rs.close();
  });

  test("HS256 with a configured secret: no public keys, tokens survive restarts", async () => {
    const dir = tempDir();
    const env = { JWT_ALGORITHM: "HS256", JWT_SECRET_KEY: "k".repeat(40) };
    const first = await testGateway(env, { dir });
    await createUser(first, "dave");
    const tokens = await login(first, "dave");
    expect((await (await first.request("/.well-known/jwks.json")).json()).keys).toEqual([]);
    await first.close();
    const second = await testGateway(env, { dir, clock: first.clock });
    expect(
      (await second.request("/auth/me", { headers: { authorization: `Bearer ${tokens.access_token}` } }))
        .status,
    ).toBe(200);
    await second.close();
  });

  test("a sealed secret does not open with other associated data or when altered", async () => {
    const gateway = await testGateway();
    const sealed = await gateway.ctx.secretBox.encrypt("top-secret", "server-a");
    expect(sealed).not.toContain("top-secret");
    expect(await gateway.ctx.secretBox.encrypt("top-secret", "server-a")).not.toBe(sealed);
    await expect(gateway.ctx.secretBox.decrypt(sealed, "server-b")).rejects.toThrow();
    const altered = `${sealed.slice(0, -2)}${sealed.endsWith("A") ? "B" : "A"}A`;
    await expect(gateway.ctx.secretBox.decrypt(altered, "server-a")).rejects.toThrow();
    await gateway.close();
  });

  test("an empty or truncated secret file stops the start instead of becoming a weak key", async () => {
    for (const [file, env] of [
      [HS256_SECRET_FILE, { JWT_ALGORITHM: "HS256" }],
      [SESSION_SECRET_FILE, {}],
      [ENCRYPTION_KEY_FILE, {}],
    ] as const) {
      const dir = tempDir();
      writeFileSync(join(dir, file), file === SESSION_SECRET_FILE ? "short\n" : "\n", { mode: 0o600 });
      await expect(testGateway(env, { dir })).rejects.toThrow(
        `${join(dir, file)}: the secret in this file is empty or too short`,
      );
    }
  });

  test("secret files appear whole: the first one created wins, no temporary file is left behind", () => {
    const dir = tempDir();
    const first = readOrCreateSecretFile(dir, "x.secret", () => "a".repeat(40));
    const second = readOrCreateSecretFile(dir, "x.secret", () => "b".repeat(40));
    expect(second).toBe(first);
    writeSecretFile(dir, "keys.json", "{}");
    writeSecretFile(dir, "keys.json", '{"keys":[]}');
    expect(readFileSync(join(dir, "keys.json"), "utf8")).toBe('{"keys":[]}\n');
    expect(statSync(join(dir, "keys.json")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(["keys.json", "x.secret"]);
  });
});
