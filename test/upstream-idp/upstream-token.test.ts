import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "node:http";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { OidcClient } from "../../src/identity/upstream/oidc-client.ts";
import { providerFieldsSchema } from "../../src/identity/upstream/provider-schema.ts";
import { UpstreamUserTokens } from "../../src/identity/upstream/user-tokens.ts";
import { createServer, sdkClient } from "../gateway/helpers.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, jsonInit, login } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

// The backend credential "the user's own upstream token" (issue #15): a real OpenID provider
// (oidc-provider) issues the person an access and a refresh token at sign-in; the gateway keeps
// them and sends the access token to the backend, refreshes it upstream when it is due, and
// answers with "sign in again" when the provider refuses the refresh token.

const SECRET = "a-client-secret-of-the-gateway-at-the-idp";
const ACCESS_TTL_SECONDS = 600;

let backend: McpBackend;
let gw: ListeningGateway;
let issuer: string;
let closeIssuer: () => Promise<void>;
let adminToken: string;
const events: SecurityEvent[] = [];

/** A real OpenID provider: refresh tokens for offline_access, revocation, development login pages. */
async function startIssuer(redirectUri: string) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "k1", alg: "RS256", use: "sig" };
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  const url = `http://127.0.0.1:${port}`;
  const provider = new Provider(url, {
    clients: [
      {
        client_id: "gateway",
        client_secret: SECRET,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["test-cookie-key-of-the-issuer"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    scopes: ["openid", "email", "offline_access"],
    pkce: { required: () => true },
    ttl: { AccessToken: ACCESS_TTL_SECONDS, RefreshToken: 86400, Grant: 86400, Session: 3600 },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    findAccount: (_ctx, sub) =>
      sub === "ada"
        ? { accountId: sub, claims: () => ({ sub, email: "ada@example.test", email_verified: true }) }
        : undefined,
  });
  let server: Server | undefined;
  await new Promise<void>((resolve) => {
    server = provider.listen(port, "127.0.0.1", () => resolve()) as Server;
  });
  return {
    url,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

/** A browser's cookies, per origin (enough for two loopback hosts). */
class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();
  header(url: URL): string {
    return [...(this.cookies.get(url.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  keep(url: URL, response: Response): void {
    const jar = this.cookies.get(url.host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair?.indexOf("=") ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    this.cookies.set(url.host, jar);
  }
}

/**
 * Plays the person signing in with the provider (login as "ada", then its consent), following
 * redirects by hand until the gateway's callback has answered; returns that answer's status.
 */
async function signInUpstream(): Promise<number> {
  const jar = new CookieJar();
  let next = new URL(`${gw.url}/login/upstream/corp?return_to=%2F`);
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(next, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header(next) },
    });
    jar.keep(next, response);
    if (next.pathname === "/login/upstream/corp/callback") return response.status;
    const location = response.headers.get("location");
    if (location) {
      next = new URL(location, next);
      init = {};
      continue;
    }
    const html = await response.text();
    const action = html.match(/action="([^"]+)"/)?.[1];
    if (!action) throw new Error(`stuck at ${next.href}: ${response.status} ${html.slice(0, 200)}`);
    const form: Record<string, string> = html.includes('name="login"')
      ? { prompt: "login", login: "ada", password: "any" }
      : { prompt: "consent" };
    next = new URL(action, next);
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    };
  }
  throw new Error("too many redirects");
}

/** What the provider's userinfo says about an access token: who it belongs to (401: not valid). */
async function ownerOf(accessToken: string): Promise<string | number> {
  const response = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return response.ok ? ((await response.json()) as { sub: string }).sub : response.status;
}

function lastAuthorization(): string {
  const seen = backend.received.filter((r) => r.method === "POST").at(-1);
  return String(seen?.headers.authorization ?? "");
}

async function kept(userId: string) {
  return new UpstreamUserTokens(gw.ctx, async () => undefined).current(userId, "corp");
}

beforeAll(async () => {
  backend = await startMcpBackend();
  gw = await listeningGateway({}, { clock: new FakeClock(Date.now()) });
  gw.ctx.securityEvents.subscribe((event) => events.push(event));
  await createUser(gw, "root", { isAdmin: true });
  adminToken = (await login(gw, "root")).access_token;
  const idp = await startIssuer(`${gw.url}/login/upstream/corp/callback`);
  issuer = idp.url;
  closeIssuer = idp.close;
  const provider = await gw.request(
    "/admin/api/identity-providers",
    jsonInit(
      {
        slug: "corp",
        type: "oidc",
        issuer,
        client_id: "gateway",
        client_secret: SECRET,
        scopes: ["openid", "email"],
        link_by_verified_email: true,
        keep_tokens: true,
        token_scopes: ["offline_access"],
      },
      { headers: { authorization: `Bearer ${adminToken}` } },
    ),
  );
  expect(provider.status).toBe(201);
  await createServer(gw, adminToken, {
    name: "gh",
    url: backend.url,
    open_to_all: true,
    credential: { type: "upstream_user_token", provider: "corp" },
  });
});

afterAll(async () => {
  await gw.close();
  await closeIssuer();
  await backend.close();
});

describe("backend credential upstream_user_token", () => {
  test("without a kept upstream token the call fails with a JSON-RPC error naming the sign-in URL, and a security event", async () => {
    await createUser(gw, "bob");
    const token = (await login(gw, "bob", { resource: `${gw.url}/mcp/gh` })).access_token;
    const before = backend.received.length;
    const failed = await sdkClient(`${gw.url}/mcp/gh`, token).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).message).toContain(`${gw.url}/login/upstream/corp`);
    expect((failed as McpError).message).toContain("Sign in again with corp");
    expect(backend.received.length).toBe(before); // the backend was never called
    const bob = gw.ctx.users.byUsername("bob");
    expect(events.filter((e) => e.type === "upstream_token_unavailable").at(-1)).toMatchObject({
      userId: bob?.id,
      details: { provider: "corp", server: "gh", reason: "no_upstream_token" },
    });
  });

  test("the backend receives the person's own upstream token; refreshed upstream when due; a revoked refresh token asks to sign in again", async () => {
    const ada = await createUser(gw, "ada");
    expect(await signInUpstream()).toBe(303);
    const first = await kept(ada.id);
    expect(first?.refreshToken).toBeString();
    expect(first?.scope?.split(" ")).toContain("offline_access");

    const gatewayToken = (await login(gw, "ada", { resource: `${gw.url}/mcp/gh` })).access_token;
    const { client } = await sdkClient(`${gw.url}/mcp/gh`, gatewayToken);
    const answer = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(answer.isError).not.toBe(true);
    const sent = lastAuthorization();
    expect(sent).toBe(`Bearer ${first?.accessToken}`);
    expect(sent).not.toContain(gatewayToken);
    expect(await ownerOf(sent.slice("Bearer ".length))).toBe("ada");

    // Not yet within UPSTREAM_TOKEN_REFRESH_MARGIN_SECONDS (60) of the expiry: the same token.
    gw.clock.advance((ACCESS_TTL_SECONDS - 61) * 1000);
    await client.callTool({ name: "echo", arguments: { text: "still" } });
    expect(lastAuthorization()).toBe(`Bearer ${first?.accessToken}`);
    // Within the margin: refreshed at the provider before the call; the new token is ada's too.
    gw.clock.advance(2000);
    await client.callTool({ name: "echo", arguments: { text: "refreshed" } });
    const refreshed = lastAuthorization().slice("Bearer ".length);
    expect(refreshed).not.toBe(first?.accessToken);
    expect(await ownerOf(refreshed)).toBe("ada");
    const second = await kept(ada.id);
    expect(second?.accessToken).toBe(refreshed);
    // Used while fresh: no second refresh.
    await client.callTool({ name: "echo", arguments: { text: "again" } });
    expect(lastAuthorization()).toBe(`Bearer ${refreshed}`);

    // The refresh token is revoked at the provider; once the access token is due, the call fails.
    const revoked = await fetch(`${issuer}/token/revocation`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`gateway:${SECRET}`)}`,
      },
      body: new URLSearchParams({ token: second?.refreshToken as string, token_type_hint: "refresh_token" }),
    });
    expect(revoked.status).toBe(200);
    gw.clock.advance(ACCESS_TTL_SECONDS * 1000);
    const calls = backend.received.length;
    const failed = await client.callTool({ name: "echo", arguments: { text: "x" } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).message).toContain(
      `Sign in again with corp at ${gw.url}/login/upstream/corp`,
    );
    expect(backend.received.length).toBe(calls);
    expect(events.filter((e) => e.type === "upstream_token_unavailable").at(-1)).toMatchObject({
      userId: ada.id,
      details: { provider: "corp", server: "gh", reason: "upstream_refresh_refused" },
    });
    expect(await kept(ada.id)).toBeUndefined();

    // Signing in again with the provider keeps fresh tokens: the backend is reachable again.
    expect(await signInUpstream()).toBe(303);
    await client.callTool({ name: "echo", arguments: { text: "back" } });
    const third = await kept(ada.id);
    expect(lastAuthorization()).toBe(`Bearer ${third?.accessToken}`);
    await client.close();
  });

  test("a backend that refuses the person's token: a 502 saying so, and the next call refreshes it upstream", async () => {
    const ada = gw.ctx.users.byUsername("ada");
    const before = await kept(ada?.id as string);
    const refused = new Set([before?.accessToken]);
    const guard = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const presented = request.headers.get("authorization")?.replace(/^Bearer /, "");
        if (refused.has(presented)) return Response.json({ error: "invalid_token" }, { status: 401 });
        return fetch(backend.url, {
          method: request.method,
          headers: request.headers,
          body: request.method === "POST" ? await request.text() : undefined,
        });
      },
    });
    try {
      await createServer(gw, adminToken, {
        name: "guarded",
        url: `http://127.0.0.1:${guard.port}/mcp`,
        open_to_all: true,
        credential: { type: "upstream_user_token", provider: "corp" },
      });
      const token = (await login(gw, "ada", { resource: `${gw.url}/mcp/guarded` })).access_token;
      const failed = await sdkClient(`${gw.url}/mcp/guarded`, token).then(
        () => undefined,
        (error: unknown) => error as { code?: number; message?: string },
      );
      expect(failed?.code).toBe(502);
      expect(failed?.message).toContain("Backend refused your upstream token; the next call refreshes it");
      expect((await kept(ada?.id as string))?.expiresAt).toBe(gw.clock.now());

      const { client } = await sdkClient(`${gw.url}/mcp/guarded`, token);
      await client.callTool({ name: "echo", arguments: { text: "after refresh" } });
      const after = await kept(ada?.id as string);
      expect(after?.accessToken).not.toBe(before?.accessToken);
      expect(lastAuthorization()).toBe(`Bearer ${after?.accessToken}`);
      await client.close();
    } finally {
      guard.stop(true);
    }
  });

  test("on the aggregated endpoint /mcp too: the person's token to the backend, and the sign-in-again error", async () => {
    const ada = gw.ctx.users.byUsername("ada");
    const token = (await login(gw, "ada", { resource: `${gw.url}/mcp` })).access_token;
    const { client } = await sdkClient(`${gw.url}/mcp`, token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("gh__echo");
    await client.callTool({ name: "gh__echo", arguments: { text: "hi" } });
    const current = await kept(ada?.id as string);
    expect(lastAuthorization()).toBe(`Bearer ${current?.accessToken}`);

    new UpstreamUserTokens(gw.ctx, async () => undefined).forget(ada?.id as string, "corp");
    const calls = backend.received.length;
    const failed = await client.callTool({ name: "gh__echo", arguments: { text: "x" } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).message).toContain(
      `Sign in again with corp at ${gw.url}/login/upstream/corp`,
    );
    expect(backend.received.length).toBe(calls);
    expect(events.filter((e) => e.type === "upstream_token_unavailable").at(-1)).toMatchObject({
      userId: ada?.id,
      details: { provider: "corp", server: "gh", reason: "no_upstream_token" },
    });
    await client.close();
    expect(await signInUpstream()).toBe(303); // for the next test
  });

  test("kept tokens are dropped by a sign-in while keep_tokens is off, by unlinking, and by removing the provider", async () => {
    const ada = gw.ctx.users.byUsername("ada");
    const auth = { headers: { authorization: `Bearer ${adminToken}` } };
    const fields = {
      type: "oidc",
      issuer,
      client_id: "gateway",
      scopes: ["openid", "email"],
      link_by_verified_email: true,
    };
    const put = (extra: Record<string, unknown>) =>
      gw.request("/admin/api/identity-providers/corp", {
        ...jsonInit({ ...fields, ...extra }, auth),
        method: "PUT",
      });
    expect((await put({ keep_tokens: false })).status).toBe(200);
    expect(await signInUpstream()).toBe(303);
    expect(await kept(ada?.id as string)).toBeUndefined();

    expect((await put({ keep_tokens: true, token_scopes: ["offline_access"] })).status).toBe(200);
    expect(await signInUpstream()).toBe(303);
    expect(await kept(ada?.id as string)).toBeDefined();
    const unlinked = await gw.request(`/admin/api/users/${ada?.id}/identities/corp/ada`, {
      method: "DELETE",
      ...auth,
    });
    expect(unlinked.status).toBe(204);
    expect(await kept(ada?.id as string)).toBeUndefined();

    expect(await signInUpstream()).toBe(303);
    expect(await kept(ada?.id as string)).toBeDefined();
    const removed = await gw.request("/admin/api/identity-providers/corp", { method: "DELETE", ...auth });
    expect(removed.status).toBe(204);
    expect(await kept(ada?.id as string)).toBeUndefined();
  });
});

describe("asking for a refresh token", () => {
  const options = {
    now: () => Date.now(),
    clockToleranceSeconds: 30,
    httpTimeoutMs: 5000,
    jwksCooldownMs: 0,
    allowInsecureHttp: false,
  };
  const client = (fields: Record<string, unknown>, scopes: string[]) =>
    new OidcClient(
      {
        slug: "p",
        fields: providerFieldsSchema.parse({ client_id: "gateway", ...fields }),
        clientSecret: SECRET,
        source: "config",
      },
      { issuer, emailVerifiedClaim: "email_verified", scopes },
      options,
    );

  test("offline_access comes with prompt=consent (OIDC Core 11); Google with keep_tokens gets access_type=offline", async () => {
    const offline = await client({ type: "oidc", issuer }, ["openid", "offline_access"]).start(
      "http://gw.example/cb",
    );
    expect(offline.url.searchParams.get("prompt")).toBe("consent");
    expect(offline.url.searchParams.get("access_type")).toBeNull();
    const plain = await client({ type: "oidc", issuer }, ["openid"]).start("http://gw.example/cb");
    expect(plain.url.searchParams.get("prompt")).toBeNull();
    // The preset's issuer is Google's; the endpoints here are the test provider's.
    const google = await client({ type: "google", keep_tokens: true }, ["openid"]).start(
      "http://gw.example/cb",
    );
    expect(google.url.searchParams.get("access_type")).toBe("offline");
    expect(google.url.searchParams.get("prompt")).toBe("consent");
    const googleNoTokens = await client({ type: "google" }, ["openid"]).start("http://gw.example/cb");
    expect(googleNoTokens.url.searchParams.get("access_type")).toBeNull();
  });
});
