import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createUser, login, type TestGateway, testGateway } from "../support/context.ts";
import {
  browserUser,
  exchangeCode,
  form,
  obtainCode,
  pkcePair,
  REDIRECT,
  registerClient,
} from "../support/oauth-helpers.ts";

const PUBLIC = "https://gw.example.test";
const ALPHA = `${PUBLIC}/mcp/alpha`;
let gw: TestGateway;
beforeEach(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC, OAUTH_REFRESH_GRACE_SECONDS: "10" });
  gw.ctx.resources.addServerLookup((n) => n === "alpha" || n === "beta");
});
afterEach(() => gw.close());

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

async function flow(resource: string | null = ALPHA) {
  const client = await registerClient(gw);
  const session = await browserUser(gw);
  const pkce = await pkcePair();
  const { code } = await obtainCode(gw, session, {
    client_id: client.client_id,
    code_challenge: pkce.challenge,
    resource: resource ?? undefined,
  });
  return { client, session, pkce, code };
}

async function tokens(res: Response): Promise<Tokens> {
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as Tokens;
}

function refresh(clientId: string, refreshToken: string, extra: Record<string, string> = {}) {
  return gw.request(
    "/oauth/token",
    form({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken, ...extra }),
  );
}

async function bearerOk(token: string, audience = ALPHA) {
  return (await gw.ctx.bearer.authenticate(`Bearer ${token}`, audience)).ok;
}

describe("authorization_code", () => {
  test("exchange with PKCE: RFC 9068 access token bound to the resource; no-store", async () => {
    const { client, pkce, code } = await flow();
    const res = await exchangeCode(gw, client.client_id, code, pkce.verifier);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await tokens(res);
    expect(body.token_type).toBe("Bearer");
    expect(body.scope).toBe("mcp");
    const [headerPart, payloadPart] = body.access_token.split(".") as [string, string];
    const header = JSON.parse(Buffer.from(headerPart, "base64url").toString());
    const claims = JSON.parse(Buffer.from(payloadPart, "base64url").toString());
    expect(header.typ).toBe("at+jwt");
    expect(typeof header.kid).toBe("string");
    expect(claims.aud).toBe(ALPHA);
    expect(claims.iss).toBe(PUBLIC);
    expect(claims.client_id).toBe(client.client_id);
    expect(claims.scope).toBe("mcp");
    for (const claim of ["sub", "exp", "iat", "jti"]) expect(claims[claim]).toBeDefined();
    expect(await bearerOk(body.access_token)).toBe(true);
    // Token for server A refused at B and at the aggregate.
    expect(await bearerOk(body.access_token, `${PUBLIC}/mcp/beta`)).toBe(false);
    expect(await bearerOk(body.access_token, `${PUBLIC}/mcp`)).toBe(false);
    // Secrets never logged.
    const logs = gw.logs.join("\n");
    expect(logs).not.toContain(code);
    expect(logs).not.toContain(body.refresh_token);
    expect(logs).not.toContain(body.access_token);
  });

  test("absent resource → the aggregated endpoint", async () => {
    const { client, pkce, code } = await flow(null);
    const body = await tokens(await exchangeCode(gw, client.client_id, code, pkce.verifier));
    expect(await bearerOk(body.access_token, `${PUBLIC}/mcp`)).toBe(true);
  });

  test("wrong verifier → invalid_grant, and the code is spent", async () => {
    const { client, pkce, code } = await flow();
    const other = await pkcePair();
    const res = await exchangeCode(gw, client.client_id, code, other.verifier);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await exchangeCode(gw, client.client_id, code, pkce.verifier)).status).toBe(400);
  });

  test("missing verifier → invalid_request", async () => {
    const { client, code } = await flow();
    const res = await gw.request(
      "/oauth/token",
      form({ grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: REDIRECT }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_request");
  });

  test("replayed code fails and revokes every token issued from it", async () => {
    const { client, pkce, code } = await flow();
    const first = await tokens(await exchangeCode(gw, client.client_id, code, pkce.verifier));
    expect(await bearerOk(first.access_token)).toBe(true);
    const replay = await exchangeCode(gw, client.client_id, code, pkce.verifier);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
    expect(await bearerOk(first.access_token)).toBe(false);
    expect((await refresh(client.client_id, first.refresh_token)).status).toBe(400);
  });

  test("replayed code of a client without refresh tokens revokes the access token issued from it", async () => {
    const client = await registerClient(gw, { grant_types: ["authorization_code"] });
    const session = await browserUser(gw);
    const pkce = await pkcePair();
    const { code } = await obtainCode(gw, session, {
      client_id: client.client_id,
      code_challenge: pkce.challenge,
      resource: ALPHA,
    });
    const res = await exchangeCode(gw, client.client_id, code, pkce.verifier);
    expect(res.status).toBe(200);
    const first = (await res.json()) as { access_token: string; refresh_token?: string };
    expect(first.refresh_token).toBeUndefined();
    expect(await bearerOk(first.access_token)).toBe(true);
    expect((await exchangeCode(gw, client.client_id, code, pkce.verifier)).status).toBe(400);
    expect(await bearerOk(first.access_token)).toBe(false);
  });

  test("expired code → invalid_grant", async () => {
    const { client, pkce, code } = await flow();
    gw.clock.advance(61_000);
    const res = await exchangeCode(gw, client.client_id, code, pkce.verifier);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
  });

  test("code bound to client, redirect URI and resource", async () => {
    const { client, pkce, code } = await flow();
    const other = await registerClient(gw);
    expect((await exchangeCode(gw, other.client_id, code, pkce.verifier)).status).toBe(400);
    const a = await flow();
    expect(
      (
        await exchangeCode(gw, a.client.client_id, a.code, a.pkce.verifier, {
          redirect_uri: "http://127.0.0.1:1/x",
        })
      ).status,
    ).toBe(400);
    const b = await flow();
    const wrongTarget = await exchangeCode(gw, b.client.client_id, b.code, b.pkce.verifier, {
      resource: `${PUBLIC}/mcp/beta`,
    });
    expect(((await wrongTarget.json()) as { error: string }).error).toBe("invalid_target");
    void client;
  });

  test("unknown client → 401 invalid_client; bad grant types; malformed bodies", async () => {
    const unknown = await gw.request(
      "/oauth/token",
      form({ grant_type: "authorization_code", client_id: "nope", code: "x", code_verifier: "y".repeat(43) }),
    );
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe("invalid_client");
    const client = await registerClient(gw);
    const cases: [Record<string, string>, number, string][] = [
      [{ client_id: client.client_id }, 400, "invalid_request"],
      [{ client_id: client.client_id, grant_type: "password" }, 400, "unsupported_grant_type"],
      [{ client_id: client.client_id, grant_type: "client_credentials" }, 400, "unauthorized_client"],
      [
        { client_id: client.client_id, grant_type: "urn:ietf:params:oauth:grant-type:device_code" },
        400,
        "unsupported_grant_type",
      ],
      [
        {
          client_id: client.client_id,
          grant_type: "authorization_code",
          code: "nope",
          code_verifier: "v".repeat(43),
          redirect_uri: REDIRECT,
        },
        400,
        "invalid_grant",
      ],
      [
        { client_id: client.client_id, grant_type: "refresh_token", refresh_token: "nope" },
        400,
        "invalid_grant",
      ],
      [
        { client_id: client.client_id, client_secret: "x", grant_type: "refresh_token", refresh_token: "x" },
        401,
        "invalid_client",
      ],
    ];
    for (const [body, status, error] of cases) {
      const res = await gw.request("/oauth/token", form(body));
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
    const dup = await gw.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=refresh_token&grant_type=authorization_code&client_id=${client.client_id}`,
    });
    expect(dup.status).toBe(400);
    const json = await gw.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(415);
    const big = await gw.request("/oauth/token", form({ grant_type: "x".repeat(2_000_000) }));
    expect(big.status).toBe(413);
  });

  test("confidential client authenticates as registered (basic or post); wrong secret → 401", async () => {
    const client = await registerClient(gw, { token_endpoint_auth_method: "client_secret_basic" });
    const secret = client.client_secret as string;
    const session = await browserUser(gw);
    const basic = (id: string, s: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(s)}`).toString("base64")}`;
    const pkce = await pkcePair();
    const { code } = await obtainCode(gw, session, {
      client_id: client.client_id,
      code_challenge: pkce.challenge,
      resource: ALPHA,
    });
    const wrong = await gw.request(
      "/oauth/token",
      form(
        { grant_type: "authorization_code", code, code_verifier: pkce.verifier, redirect_uri: REDIRECT },
        { authorization: basic(client.client_id, "wrong") },
      ),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Basic");
    const none = await gw.request(
      "/oauth/token",
      form({
        grant_type: "authorization_code",
        client_id: client.client_id,
        code,
        code_verifier: pkce.verifier,
        redirect_uri: REDIRECT,
      }),
    );
    expect(none.status).toBe(401);
    const ok = await gw.request(
      "/oauth/token",
      form(
        { grant_type: "authorization_code", code, code_verifier: pkce.verifier, redirect_uri: REDIRECT },
        { authorization: basic(client.client_id, secret) },
      ),
    );
    const body = await tokens(ok);
    // Registered for client_secret_basic: the right secret in the body is still refused.
    const viaPost = await gw.request(
      "/oauth/token",
      form({
        grant_type: "refresh_token",
        client_id: client.client_id,
        client_secret: secret,
        refresh_token: body.refresh_token,
      }),
    );
    expect(viaPost.status).toBe(401);
    expect(((await viaPost.json()) as { error: string }).error).toBe("invalid_client");
    const viaBasic = await gw.request(
      "/oauth/token",
      form(
        { grant_type: "refresh_token", refresh_token: body.refresh_token },
        { authorization: basic(client.client_id, secret) },
      ),
    );
    expect(viaBasic.status).toBe(200);

    const postClient = await registerClient(gw, { token_endpoint_auth_method: "client_secret_post" });
    const postSecret = postClient.client_secret as string;
    const p2 = await pkcePair();
    const c2 = await obtainCode(gw, session, {
      client_id: postClient.client_id,
      code_challenge: p2.challenge,
      resource: ALPHA,
    });
    const postAsBasic = await gw.request(
      "/oauth/token",
      form(
        {
          grant_type: "authorization_code",
          code: c2.code,
          code_verifier: p2.verifier,
          redirect_uri: REDIRECT,
        },
        { authorization: basic(postClient.client_id, postSecret) },
      ),
    );
    expect(postAsBasic.status).toBe(401);
    const p3 = await pkcePair();
    const c3 = await obtainCode(gw, session, {
      client_id: postClient.client_id,
      code_challenge: p3.challenge,
      resource: ALPHA,
    });
    const postOk = await exchangeCode(gw, postClient.client_id, c3.code, p3.verifier, {
      client_secret: postSecret,
    });
    expect(postOk.status).toBe(200);
  });
});

describe("refresh_token", () => {
  async function issued() {
    const f = await flow();
    const body = await tokens(await exchangeCode(gw, f.client.client_id, f.code, f.pkce.verifier));
    return { ...f, body };
  }

  test("rotation: new refresh token each use; resource may narrow but never widen", async () => {
    const agg = await flow(`${PUBLIC}/mcp`);
    const first = await tokens(await exchangeCode(gw, agg.client.client_id, agg.code, agg.pkce.verifier));
    const narrowed = await tokens(
      await refresh(agg.client.client_id, first.refresh_token, { resource: ALPHA }),
    );
    expect(narrowed.refresh_token).not.toBe(first.refresh_token);
    expect(await bearerOk(narrowed.access_token, ALPHA)).toBe(true);
    expect(await bearerOk(narrowed.access_token, `${PUBLIC}/mcp`)).toBe(false);

    const { client, body } = await issued();
    const widen = await refresh(client.client_id, body.refresh_token, { resource: `${PUBLIC}/mcp` });
    expect(((await widen.json()) as { error: string }).error).toBe("invalid_target");
    const scope = await refresh(client.client_id, body.refresh_token, { scope: "mcp admin" });
    expect(((await scope.json()) as { error: string }).error).toBe("invalid_scope");
    // Refused requests left the token usable.
    expect((await refresh(client.client_id, body.refresh_token)).status).toBe(200);
    // Another client cannot use it.
    const other = await registerClient(gw);
    expect((await refresh(other.client_id, body.refresh_token)).status).toBe(400);
  });

  test("reuse of a rotated token outside the grace window revokes the whole family and its access tokens", async () => {
    const { client, body } = await issued();
    const second = await tokens(await refresh(client.client_id, body.refresh_token));
    expect(await bearerOk(second.access_token)).toBe(true);
    gw.clock.advance(11_000);
    const reuse = await refresh(client.client_id, body.refresh_token);
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
    expect(await bearerOk(second.access_token)).toBe(false);
    expect(await bearerOk(body.access_token)).toBe(false);
    expect((await refresh(client.client_id, second.refresh_token)).status).toBe(400);
  });

  test("grace window: a second concurrent refresh with the just-rotated token gets the same successor", async () => {
    const { client, body } = await issued();
    const a = await tokens(await refresh(client.client_id, body.refresh_token));
    gw.clock.advance(5_000);
    const b = await tokens(await refresh(client.client_id, body.refresh_token));
    expect(b.refresh_token).toBe(a.refresh_token);
    expect(b.access_token).toBe(a.access_token);
    expect(b.expires_in).toBe(a.expires_in - 5);
    expect(await bearerOk(a.access_token)).toBe(true);
    expect((await refresh(client.client_id, b.refresh_token)).status).toBe(200);
  });
});

describe("revoke and introspect", () => {
  test("revoking a refresh token revokes its family; an access token its jti; unknown tokens → 200", async () => {
    const f = await flow();
    const body = await tokens(await exchangeCode(gw, f.client.client_id, f.code, f.pkce.verifier));
    const revokeAccess = await gw.request(
      "/oauth/revoke",
      form({ client_id: f.client.client_id, token: body.access_token }),
    );
    expect(revokeAccess.status).toBe(200);
    expect(await bearerOk(body.access_token)).toBe(false);
    expect((await refresh(f.client.client_id, body.refresh_token)).status).toBe(200);
    const f2 = await flow();
    const b2 = await tokens(await exchangeCode(gw, f2.client.client_id, f2.code, f2.pkce.verifier));
    expect(
      (await gw.request("/oauth/revoke", form({ client_id: f2.client.client_id, token: b2.refresh_token })))
        .status,
    ).toBe(200);
    expect((await refresh(f2.client.client_id, b2.refresh_token)).status).toBe(400);
    expect(await bearerOk(b2.access_token)).toBe(false);
    expect(
      (await gw.request("/oauth/revoke", form({ client_id: f2.client.client_id, token: "garbage" }))).status,
    ).toBe(200);
    expect((await gw.request("/oauth/revoke", form({ client_id: f2.client.client_id }))).status).toBe(400);
    expect((await gw.request("/oauth/revoke", form({ client_id: "nope", token: "x" }))).status).toBe(401);
  });

  test("another client cannot revoke my tokens", async () => {
    const f = await flow();
    const body = await tokens(await exchangeCode(gw, f.client.client_id, f.code, f.pkce.verifier));
    const other = await registerClient(gw);
    await gw.request("/oauth/revoke", form({ client_id: other.client_id, token: body.refresh_token }));
    await gw.request("/oauth/revoke", form({ client_id: other.client_id, token: body.access_token }));
    expect(await bearerOk(body.access_token)).toBe(true);
    expect((await refresh(f.client.client_id, body.refresh_token)).status).toBe(200);
  });

  test("introspection: confidential clients (own tokens) and admins; public clients refused", async () => {
    const conf = await registerClient(gw, { token_endpoint_auth_method: "client_secret_post" });
    const session = await browserUser(gw);
    const pkce = await pkcePair();
    const { code } = await obtainCode(gw, session, {
      client_id: conf.client_id,
      code_challenge: pkce.challenge,
      resource: ALPHA,
    });
    const body = await tokens(
      await exchangeCode(gw, conf.client_id, code, pkce.verifier, {
        client_secret: conf.client_secret as string,
      }),
    );
    const auth = { client_id: conf.client_id, client_secret: conf.client_secret as string };
    const active = (await (
      await gw.request("/oauth/introspect", form({ ...auth, token: body.access_token }))
    ).json()) as Record<string, unknown>;
    expect(active.active).toBe(true);
    expect(active.aud).toBe(ALPHA);
    expect(active.client_id).toBe(conf.client_id);
    expect(active.username).toBe("alice");
    const rt = (await (
      await gw.request("/oauth/introspect", form({ ...auth, token: body.refresh_token }))
    ).json()) as Record<string, unknown>;
    expect(rt.active).toBe(true);
    const junk = (await (
      await gw.request("/oauth/introspect", form({ ...auth, token: "junk" }))
    ).json()) as Record<string, unknown>;
    expect(junk).toEqual({ active: false });
    const pub = await registerClient(gw);
    const refused = await gw.request(
      "/oauth/introspect",
      form({ client_id: pub.client_id, token: body.access_token }),
    );
    expect(refused.status).toBe(401);
    const wrongSecret = await gw.request(
      "/oauth/introspect",
      form({ client_id: conf.client_id, client_secret: "nope", token: body.access_token }),
    );
    expect(wrongSecret.status).toBe(401);
    await gw.request("/oauth/revoke", form({ ...auth, token: body.access_token }));
    const after = (await (
      await gw.request("/oauth/introspect", form({ ...auth, token: body.access_token }))
    ).json()) as Record<string, unknown>;
    expect(after.active).toBe(false);
  });
});

describe("introspection by an admin", () => {
  test("an admin's bearer token may introspect any token; a non-admin's may not", async () => {
    const f = await flow();
    const body = await tokens(await exchangeCode(gw, f.client.client_id, f.code, f.pkce.verifier));
    await createUser(gw, "root", { isAdmin: true });
    const adminToken = (await login(gw, "root")).access_token;
    const res = await gw.request(
      "/oauth/introspect",
      form({ token: body.access_token }, { authorization: `Bearer ${adminToken}` }),
    );
    expect(((await res.json()) as { active: boolean }).active).toBe(true);
    await createUser(gw, "bob");
    const bobToken = (await login(gw, "bob")).access_token;
    const refused = await gw.request(
      "/oauth/introspect",
      form({ token: body.access_token }, { authorization: `Bearer ${bobToken}` }),
    );
    expect(refused.status).toBe(401);
  });
});
