import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { SignJWT } from "jose";
import {
  createUser,
  jsonInit,
  login,
  STRONG_PASSWORD,
  type TestGateway,
  testGateway,
} from "../support/context.ts";

let gateway: TestGateway;
const count = (table: string) =>
  gateway.ctx.db.$client.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()?.n;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

afterEach(async () => {
  await gateway.close();
});

describe("POST /auth/register", () => {
  beforeEach(async () => {
    gateway = await testGateway({ ALLOW_REGISTRATION: "true" });
  });

  test("creates a user and never returns the hash", async () => {
    const response = await gateway.request(
      "/auth/register",
      jsonInit({ username: "newbie", email: "newbie@example.test", password: STRONG_PASSWORD }),
    );
    expect(response.status).toBe(202);
    const body = await response.text();
    expect(body).not.toContain("argon2");
    const row = gateway.ctx.db.$client
      .query<{ password_hash: string; username: string; email: string; is_admin: number }, []>(
        "SELECT password_hash, username, email, is_admin FROM users",
      )
      .get();
    expect(row).toMatchObject({ username: "newbie", email: "newbie@example.test", is_admin: 0 });
    expect(row?.password_hash).toStartWith("$argon2id$");
    expect((await login(gateway, "newbie")).access_token).toBeString();
  });

  test("a weak password: 400 naming every rule broken, nothing written", async () => {
    const response = await gateway.request(
      "/auth/register",
      jsonInit({ username: "weakling", email: "w@example.test", password: "abc" }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe("weak_password");
    for (const rule of ["at least 8 characters", "an uppercase letter", "a digit", "not a letter or digit"]) {
      expect(body.error_description).toContain(rule);
    }
    expect(body.error_description).not.toContain("lowercase");
    expect(count("users")).toBe(0);
  });

  test("duplicate username or email (any case): the same answer as a new account, nothing written", async () => {
    await createUser(gateway, "taken");
    const created = await gateway.request(
      "/auth/register",
      jsonInit({ username: "fresh", email: "fresh@example.test", password: STRONG_PASSWORD }),
    );
    const sameName = await gateway.request(
      "/auth/register",
      jsonInit({ username: "TAKEN", email: "other@example.test", password: STRONG_PASSWORD }),
    );
    const sameEmail = await gateway.request(
      "/auth/register",
      jsonInit({ username: "other", email: "Taken@Example.test", password: STRONG_PASSWORD }),
    );
    const answer = async (r: Response) => ({
      status: r.status,
      type: r.headers.get("content-type"),
      body: await r.text(),
    });
    const expected = await answer(created);
    expect(expected.status).toBe(202);
    expect(await answer(sameName)).toEqual(expected);
    expect(await answer(sameEmail)).toEqual(expected);
    expect(count("users")).toBe(2);
    // The existing account is untouched: its password still works, the attempted one does not.
    expect((await login(gateway, "taken")).access_token).toBeString();
  });

  test("malformed, wrongly typed, incomplete and hostile bodies: 400 naming the field", async () => {
    const cases: [BodyInit, string][] = [
      ["{not json", "body is not valid JSON"],
      [JSON.stringify([]), "body"],
      [JSON.stringify({ username: "ok-name", email: "e@example.test" }), "password"],
      [JSON.stringify({ username: 42, email: "e@example.test", password: STRONG_PASSWORD }), "username"],
      [JSON.stringify({ username: "ok-name", email: "not-an-email", password: STRONG_PASSWORD }), "email"],
      [
        JSON.stringify({ username: "ok-name", email: "e@example.test", password: `Aa1!${"x".repeat(2000)}` }),
        "password: at most 1024 characters",
      ],
      [
        JSON.stringify({ username: "<script>", email: "e@example.test", password: STRONG_PASSWORD }),
        "username",
      ],
      [
        JSON.stringify({
          username: "ok-name",
          email: "e@example.test",
          password: STRONG_PASSWORD,
          is_admin: true,
        }),
        "body",
      ],
      [JSON.stringify({ __proto__: { is_admin: true }, username: "ok", email: "e@example.test" }), ""],
    ];
    for (const [body, field] of cases) {
      const response = await gateway.request("/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: string; error_description: string };
      expect(json.error).toBe("invalid_request");
      expect(json.error_description).toContain(field);
    }
    expect(count("users")).toBe(0);
  });

  test("wrong content type: 415; oversized body: 413", async () => {
    const wrongType = await gateway.request("/auth/register", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(wrongType.status).toBe(415);
    const huge = await gateway.request(
      "/auth/register",
      jsonInit({ username: "big", email: "b@example.test", password: "x".repeat(2 * 1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
    // Without a Content-Length the stream is cut at the limit too.
    const chunked = await gateway.request("/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
          controller.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expect(count("users")).toBe(0);
  });

  test("closed when ALLOW_REGISTRATION is false", async () => {
    await gateway.close();
    gateway = await testGateway();
    const response = await gateway.request(
      "/auth/register",
      jsonInit({ username: "nobody", email: "n@example.test", password: STRONG_PASSWORD }),
    );
    expect(response.status).toBe(403);
    expect(count("users")).toBe(0);
  });
});

describe("POST /auth/login", () => {
  beforeEach(async () => {
    gateway = await testGateway();
    await createUser(gateway, "alice");
  });

  test("returns the token pair; the access token is a JWT for the gateway and /mcp", async () => {
    const tokens = await login(gateway, "alice");
    expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 1800 });
    const claims = JSON.parse(
      atob((tokens.access_token.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")),
    );
    const base = gateway.ctx.config.publicUrl;
    expect(claims).toMatchObject({ iss: base, aud: [base, `${base}/mcp`], scope: "mcp" });
    expect(claims.exp - claims.iat).toBe(1800);
    expect(claims.jti).toBeString();
    expect(claims.sub).toBeString();
    const stored = gateway.ctx.db.$client
      .query<{ token_hash: string }, []>("SELECT token_hash FROM refresh_tokens")
      .all();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.token_hash).not.toBe(tokens.refresh_token);
    expect(stored[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("login by email, case-insensitively", async () => {
    const response = await gateway.request(
      "/auth/login",
      jsonInit({ username: "ALICE@example.test", password: STRONG_PASSWORD }),
    );
    expect(response.status).toBe(200);
  });

  test("unknown user, wrong password and inactive user: the same 401", async () => {
    const answers = [];
    for (const body of [
      { username: "nobody", password: STRONG_PASSWORD },
      { username: "alice", password: "Wrong-Password-1" },
    ]) {
      const response = await gateway.request("/auth/login", jsonInit(body));
      answers.push([response.status, await response.text()]);
    }
    const alice = gateway.ctx.users.list()[0];
    gateway.ctx.users.update(alice?.id as string, { isActive: false });
    const inactive = await gateway.request(
      "/auth/login",
      jsonInit({ username: "alice", password: STRONG_PASSWORD }),
    );
    answers.push([inactive.status, await inactive.text()]);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]?.[0]).toBe(401);
    expect(count("refresh_tokens")).toBe(0);
  });

  test("a resource the gateway serves replaces /mcp; another one is invalid_target", async () => {
    gateway.ctx.resources.addServerLookup((name) => name === "alpha");
    const base = gateway.ctx.config.publicUrl;
    const tokens = await login(gateway, "alice", { resource: `${base}/mcp/alpha` });
    const claims = JSON.parse(
      atob((tokens.access_token.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")),
    );
    expect(claims.aud).toEqual([base, `${base}/mcp/alpha`]);
    for (const resource of [
      `${base}/mcp/beta`,
      "https://evil.example/mcp",
      `${base}/mcp/alpha/`,
      `${base}/mcp/../x`,
    ]) {
      const response = await gateway.request(
        "/auth/login",
        jsonInit({ username: "alice", password: STRONG_PASSWORD, resource }),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_target");
    }
  });

  test("bad bodies: 400 naming the field; nothing written", async () => {
    const cases: [unknown, string][] = [
      [{}, "username: expected text"],
      [{ username: "alice" }, "password: expected text"],
      [{ username: "alice", password: 5 }, "password: expected text"],
      [{ username: "", password: "x" }, "username: must not be empty"],
      [{ username: "alice", password: "x".repeat(5000) }, "password: at most 1024 characters"],
      [{ username: "a".repeat(300), password: "x" }, "username: at most 254 characters"],
      [{ username: "alice", password: "x", resource: "r".repeat(3000) }, "resource: at most 2048 characters"],
    ];
    for (const [body, description] of cases) {
      const response = await gateway.request("/auth/login", jsonInit(body));
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: string; error_description: string };
      expect(json).toEqual({ error: "invalid_request", error_description: description });
    }
    const refresh = await gateway.request("/auth/refresh", jsonInit({ refresh_token: "t".repeat(600) }));
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error_description: string }).error_description).toBe(
      "refresh_token: at most 512 characters",
    );
    expect(count("refresh_tokens")).toBe(0);
  });

  test("rate limited per client IP with Retry-After", async () => {
    await gateway.close();
    gateway = await testGateway({ RATE_LIMIT_LOGIN_MAX: "3" });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const response = await gateway.request("/auth/login", jsonInit({ username: "x", password: "y" }));
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // A sliding window: the first window's attempts still weigh until the end of the next one.
    gateway.clock.advance(120_000);
    expect((await gateway.request("/auth/login", jsonInit({ username: "x", password: "y" }))).status).toBe(
      401,
    );
  });
});

describe("refresh, logout, me", () => {
  beforeEach(async () => {
    gateway = await testGateway();
    await createUser(gateway, "alice");
  });

  test("refresh rotates: the new pair works, the old refresh token does not", async () => {
    const first = await login(gateway, "alice");
    const refreshed = await gateway.request(
      "/auth/refresh",
      jsonInit({ refresh_token: first.refresh_token }),
    );
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await gateway.request("/auth/me", bearer(second.access_token))).status).toBe(200);
    const third = await gateway.request("/auth/refresh", jsonInit({ refresh_token: second.refresh_token }));
    expect(third.status).toBe(200);
  });

  test("reuse of a rotated refresh token revokes the whole family and its access tokens", async () => {
    const first = await login(gateway, "alice");
    const second = (await (
      await gateway.request("/auth/refresh", jsonInit({ refresh_token: first.refresh_token }))
    ).json()) as { access_token: string; refresh_token: string };
    const replay = await gateway.request("/auth/refresh", jsonInit({ refresh_token: first.refresh_token }));
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
    expect(
      (await gateway.request("/auth/refresh", jsonInit({ refresh_token: second.refresh_token }))).status,
    ).toBe(401);
    expect((await gateway.request("/auth/me", bearer(second.access_token))).status).toBe(401);
  });

  test("expired, unknown and malformed refresh tokens", async () => {
    const tokens = await login(gateway, "alice");
    for (const body of [
      { refresh_token: "unknown" },
      { refresh_token: "" },
      { token: tokens.refresh_token },
    ]) {
      const response = await gateway.request("/auth/refresh", jsonInit(body));
      expect([400, 401]).toContain(response.status);
    }
    gateway.clock.advance(8 * 86_400_000);
    expect(
      (await gateway.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }))).status,
    ).toBe(401);
  });

  test("logout revokes the access token's jti and its refresh token", async () => {
    const tokens = await login(gateway, "alice");
    const logout = await gateway.request("/auth/logout", { method: "POST", ...bearer(tokens.access_token) });
    expect(logout.status).toBe(204);
    expect((await gateway.request("/auth/me", bearer(tokens.access_token))).status).toBe(401);
    expect(
      (await gateway.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }))).status,
    ).toBe(401);
    const revoked = gateway.ctx.db.$client
      .query<{ n: number }, []>("SELECT count(*) AS n FROM revoked_access_tokens")
      .get();
    expect(revoked?.n).toBeGreaterThanOrEqual(1);
  });

  test("a revocation survives a restart", async () => {
    const tokens = await login(gateway, "alice");
    await gateway.request("/auth/logout", { method: "POST", ...bearer(tokens.access_token) });
    const dir = gateway.dir;
    await gateway.ctx.close();
    gateway = await testGateway({}, { dir, clock: gateway.clock });
    expect((await gateway.request("/auth/me", bearer(tokens.access_token))).status).toBe(401);
  });

  test("/auth/me returns the user; a deactivated user's token stops working at once", async () => {
    const tokens = await login(gateway, "alice");
    const me = await gateway.request("/auth/me", bearer(tokens.access_token));
    expect(await me.json()).toMatchObject({ user: { username: "alice" }, scope: "mcp" });
    const alice = gateway.ctx.users.list()[0];
    gateway.ctx.users.update(alice?.id as string, { isActive: false });
    expect((await gateway.request("/auth/me", bearer(tokens.access_token))).status).toBe(401);
  });
});

describe("hostile access tokens: 401 with WWW-Authenticate, nothing written", () => {
  let tokens: { access_token: string };
  beforeEach(async () => {
    gateway = await testGateway();
    await createUser(gateway, "alice");
    tokens = await login(gateway, "alice");
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const parts = () => tokens.access_token.split(".") as [string, string, string];

  async function expectRefused(token: string, authorization = `Bearer ${token}`) {
    const response = await gateway.request("/auth/me", { headers: { authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
  }

  test("no token, a malformed header, garbage", async () => {
    const none = await gateway.request("/auth/me");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    await expectRefused("", `Basic ${btoa("a:b")}`);
    await expectRefused("not.a.jwt");
    await expectRefused("x".repeat(10_000));
  });

  test("expired", async () => {
    gateway.clock.advance(31 * 60_000);
    await expectRefused(tokens.access_token);
  });

  test("tampered payload", async () => {
    const [header, payload, signature] = parts();
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    await expectRefused(`${header}.${encode({ ...claims, sub: "someone-else" })}.${signature}`);
  });

  test("alg: none", async () => {
    const [, payload] = parts();
    const header = {
      alg: "none",
      typ: "at+jwt",
      kid: JSON.parse(Buffer.from(parts()[0], "base64url").toString()).kid,
    };
    await expectRefused(`${encode(header)}.${payload}.`);
  });

  test("HS256 signed with the public key (algorithm confusion)", async () => {
    const jwks = (await (await gateway.request("/.well-known/jwks.json")).json()) as {
      keys: { kid: string }[];
    };
    const publicJwk = JSON.stringify(jwks.keys[0]);
    const claims = JSON.parse(Buffer.from(parts()[1], "base64url").toString());
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: jwks.keys[0]?.kid })
      .sign(new TextEncoder().encode(publicJwk));
    await expectRefused(forged);
  });

  test("signed by a key of its own (unknown kid, or a known kid)", async () => {
    const { generateKeyPair } = await import("jose");
    const { privateKey } = await generateKeyPair("ES256");
    const claims = JSON.parse(Buffer.from(parts()[1], "base64url").toString());
    const kid = JSON.parse(Buffer.from(parts()[0], "base64url").toString()).kid;
    for (const headerKid of ["attacker", kid]) {
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: headerKid })
        .sign(privateKey);
      await expectRefused(forged);
    }
  });

  test("not for this audience, or not an access token", async () => {
    const other = await gateway.ctx.accessTokens.issue({
      subject: gateway.ctx.users.list()[0]?.id as string,
      audience: "https://other.example/api",
      clientId: "x",
      scope: "mcp",
      ttlSeconds: 60,
    });
    await expectRefused(other.token);
    const key = gateway.ctx.keys.signingKey();
    const idToken = await new SignJWT({ scope: "mcp" })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setIssuer(gateway.ctx.config.publicUrl)
      .setAudience(gateway.ctx.config.publicUrl)
      .setSubject(gateway.ctx.users.list()[0]?.id as string)
      .setIssuedAt(Math.floor(gateway.clock.now() / 1000))
      .setExpirationTime(Math.floor(gateway.clock.now() / 1000) + 60)
      .setJti("j")
      .sign(key.key);
    await expectRefused(idToken);
    expect(gateway.ctx.db.get<[number]>(sql`SELECT count(*) FROM revoked_access_tokens`)).toEqual([0]);
  });
});
