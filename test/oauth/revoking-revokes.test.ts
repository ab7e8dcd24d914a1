import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { RevocationList } from "../../src/oauth/revocation.ts";
import { adminAndUser, createServer, INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { type TestGateway, testGateway } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import {
  browserUser,
  exchangeCode,
  form,
  obtainCode,
  pkcePair,
  registerClient,
} from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

async function tokensOf(response: Response): Promise<Tokens> {
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

function refresh(gw: TestGateway, clientId: string, refreshToken: string) {
  return gw.request(
    "/oauth/token",
    form({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }),
  );
}

/** Authorization code flow of a freshly registered public client for `username`. */
async function authorize(gw: TestGateway, resource: string, username = "alice") {
  const client = await registerClient(gw);
  const session = await browserUser(gw, username);
  const pkce = await pkcePair();
  const { code } = await obtainCode(gw, session, {
    client_id: client.client_id,
    code_challenge: pkce.challenge,
    resource,
  });
  const tokens = await tokensOf(await exchangeCode(gw, client.client_id, code, pkce.verifier));
  return { client, session, tokens };
}

describe("revocation through the proxy (real MCP backend)", () => {
  let gateway: ListeningGateway;
  let backend: McpBackend;
  let resource: string;
  let setup: Awaited<ReturnType<typeof adminAndUser>>;

  beforeEach(async () => {
    backend = await startMcpBackend();
    gateway = await listeningGateway();
    setup = await adminAndUser(gateway);
    await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url, open_to_all: true });
    resource = `${gateway.url}/mcp/tools`;
  });
  afterEach(async () => {
    await gateway.close();
    await backend.close();
  });

  const mcpStatus = async (token: string) => {
    const response = await postMessage(`${gateway.url}/mcp/tools`, INITIALIZE, {
      authorization: `Bearer ${token}`,
    });
    await response.text();
    return response.status;
  };

  test("DELETE /oauth/consents/{id} revokes that client's access and refresh tokens for that person, at once", async () => {
    const { client, session, tokens } = await authorize(gateway, resource);
    // Another client of the same person and the same client for another person are untouched.
    const otherClient = await authorize(gateway, resource);
    const otherPerson = await authorize(gateway, resource, "mallory");
    expect(await mcpStatus(tokens.access_token)).toBe(200);
    // Twice: the second answer comes from the proxy's verified-token cache.
    expect(await mcpStatus(tokens.access_token)).toBe(200);

    const list = (await (
      await gateway.request("/oauth/consents", { headers: { cookie: session.cookie } })
    ).json()) as { consents: { id: string; client_id: string }[] };
    const consent = list.consents.find((c) => c.client_id === client.client_id);
    expect(consent).toBeDefined();
    const revoked = await gateway.request(`/oauth/consents/${consent?.id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: gateway.url, "x-csrf-token": session.csrf },
    });
    expect(revoked.status).toBe(204);

    const after = await postMessage(`${gateway.url}/mcp/tools`, INITIALIZE, {
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const refused = await refresh(gateway, client.client_id, tokens.refresh_token);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe("invalid_grant");
    const introspected = await gateway.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, resource);
    expect(introspected.ok).toBe(false);

    expect(await mcpStatus(otherClient.tokens.access_token)).toBe(200);
    expect(await mcpStatus(otherPerson.tokens.access_token)).toBe(200);
    expect(
      (await refresh(gateway, otherPerson.client.client_id, otherPerson.tokens.refresh_token)).status,
    ).toBe(200);
  });

  test("deleting a client revokes its access tokens (all users) and refresh tokens, also after a restart", async () => {
    const alice = await authorize(gateway, resource);
    const mallory = await authorize(gateway, resource, "mallory");
    expect(await mcpStatus(alice.tokens.access_token)).toBe(200);
    expect(await mcpStatus(mallory.tokens.access_token)).toBe(200);
    const other = await authorize(gateway, resource);

    const deleted = await gateway.request(`/admin/api/oauth-clients/${alice.client.client_id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${setup.adminToken}` },
    });
    expect(deleted.status).toBe(204);
    const deletedMallory = await gateway.request(`/admin/api/oauth-clients/${mallory.client.client_id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${setup.adminToken}` },
    });
    expect(deletedMallory.status).toBe(204);

    expect(await mcpStatus(alice.tokens.access_token)).toBe(401);
    expect(await mcpStatus(mallory.tokens.access_token)).toBe(401);
    expect(await mcpStatus(other.tokens.access_token)).toBe(200);
    // Refresh tokens are revoked too (a config client re-created under the same id finds them dead).
    const row = gateway.ctx.refreshTokens.find(alice.tokens.refresh_token);
    expect(row?.revokedAt).not.toBeNull();

    // The marker is persisted: a fresh list loaded from the database still refuses the token.
    const claims = await gateway.ctx.accessTokens.verifyAnyAudience(alice.tokens.access_token);
    if (!claims.ok) throw new Error("token should still verify cryptographically");
    expect(new RevocationList(gateway.ctx.db, gateway.clock).isRevoked(claims.claims)).toBe(true);
  });
});

describe("refresh-token families", () => {
  let gw: TestGateway;
  const PUBLIC = "https://gw.example.test";
  const ALPHA = `${PUBLIC}/mcp/alpha`;
  const DAY = 86_400_000;

  beforeEach(async () => {
    gw = await testGateway({
      MCP_PUBLIC_URL: PUBLIC,
      OAUTH_REFRESH_GRACE_SECONDS: "10",
      JWT_REFRESH_TOKEN_EXPIRE_DAYS: "7",
      OAUTH_REFRESH_FAMILY_MAX_DAYS: "10",
    });
    gw.ctx.resources.addServerLookup((n) => n === "alpha");
  });
  afterEach(() => gw.close());

  test("a client cutoff is kept while tokens it matches may live, then pruned", async () => {
    const { client, tokens } = await authorize(gw, ALPHA);
    const rows = () => gw.ctx.db.$client.query("select count(*) as n from revoked_token_cutoffs").get();
    gw.ctx.revocations.revokeIssuedUntilNow(client.client_id, undefined, 31 * 60_000);
    expect((await gw.ctx.bearer.authenticate(`Bearer ${tokens.access_token}`, ALPHA)).ok).toBe(false);
    gw.ctx.revocations.prune();
    expect(rows()).toEqual({ n: 1 });
    gw.clock.advance(32 * 60_000);
    gw.ctx.revocations.prune();
    expect(rows()).toEqual({ n: 0 });
  });

  test("a family ends at OAUTH_REFRESH_FAMILY_MAX_DAYS whatever the rotations", async () => {
    const { client, tokens } = await authorize(gw, ALPHA);
    gw.clock.advance(6 * DAY);
    const second = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    gw.clock.advance(3 * DAY);
    const third = await tokensOf(await refresh(gw, client.client_id, second.refresh_token));
    // Day 11: the token of day 9 would live until day 16 by its own lifetime, but the family ended on day 10.
    gw.clock.advance(2 * DAY);
    const ended = await refresh(gw, client.client_id, third.refresh_token);
    expect(ended.status).toBe(400);
    expect(((await ended.json()) as { error: string }).error).toBe("invalid_grant");
  });

  test("within the grace window a rotated token gets the same successor: never a second chain", async () => {
    const { client, tokens } = await authorize(gw, ALPHA);
    const first = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    gw.clock.advance(2_000);
    const replay = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    expect(replay.refresh_token).toBe(first.refresh_token);
    expect(replay.access_token).toBe(first.access_token);
    const family = gw.ctx.refreshTokens.find(first.refresh_token)?.familyId as string;
    expect(gw.ctx.refreshTokens.familyRows(family).length).toBe(2);
  });

  test("a grace-window replay asking for another resource is refused and starts nothing", async () => {
    const { client, tokens } = await authorize(gw, `${PUBLIC}/mcp`);
    const first = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    const narrowed = await gw.request(
      "/oauth/token",
      form({
        grant_type: "refresh_token",
        client_id: client.client_id,
        refresh_token: tokens.refresh_token,
        resource: ALPHA,
      }),
    );
    expect(narrowed.status).toBe(400);
    expect(((await narrowed.json()) as { error: string }).error).toBe("invalid_grant");
    const family = gw.ctx.refreshTokens.find(first.refresh_token)?.familyId as string;
    expect(gw.ctx.refreshTokens.familyRows(family).length).toBe(2);
    expect((await refresh(gw, client.client_id, first.refresh_token)).status).toBe(200);
  });

  test("a stolen rotated token replayed after its successor moved on is detected and ends the family", async () => {
    const { client, tokens } = await authorize(gw, ALPHA);
    const first = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    gw.clock.advance(1_000);
    const second = await tokensOf(await refresh(gw, client.client_id, first.refresh_token));
    gw.clock.advance(1_000);
    // Still within the grace window of the first rotation, but its successor is no longer current.
    const stolen = await refresh(gw, client.client_id, tokens.refresh_token);
    expect(stolen.status).toBe(400);
    expect(((await stolen.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await refresh(gw, client.client_id, second.refresh_token)).status).toBe(400);
    expect((await gw.ctx.bearer.authenticate(`Bearer ${second.access_token}`, ALPHA)).ok).toBe(false);
  });

  test("a grace-window replay shares the chain: whoever rotates second is caught", async () => {
    const { client, tokens } = await authorize(gw, ALPHA);
    const legit = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    const thief = await tokensOf(await refresh(gw, client.client_id, tokens.refresh_token));
    const next = await tokensOf(await refresh(gw, client.client_id, legit.refresh_token));
    gw.clock.advance(11_000);
    const caught = await refresh(gw, client.client_id, thief.refresh_token);
    expect(caught.status).toBe(400);
    expect((await refresh(gw, client.client_id, next.refresh_token)).status).toBe(400);
  });
});
