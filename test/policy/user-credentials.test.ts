import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import {
  createServer,
  type GatewayWithUsers,
  gatewayWithUsers,
  INITIALIZE,
  postMessage,
} from "../gateway/helpers.ts";
import { jsonInit, login, STRONG_PASSWORD } from "../support/context.ts";
import type { McpBackend } from "../support/mcp-backend.ts";
import type { ListeningGateway } from "../support/server.ts";

let stage: GatewayWithUsers;
let gateway: ListeningGateway;
let backend: McpBackend;
let setup: GatewayWithUsers["setup"];

beforeEach(async () => {
  stage = await gatewayWithUsers();
  ({ gateway, backend, setup } = stage);
});
afterEach(() => stage.close());

const NEW_PASSWORD = "Another-Horse-42";

/** Every kind of credential alice can hold, each checked to work before the change. */
async function aliceCredentials() {
  const server = await createServer(gateway, setup.adminToken, { name: "tools", url: backend.url });
  await gateway.request(`/admin/api/mcp-servers/${server.id}/users/${setup.user.id}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${setup.adminToken}` },
  });
  const mcpUrl = `${gateway.url}/mcp/tools`;
  const tokens = await login(gateway, "alice", { resource: mcpUrl });
  const bearer = { authorization: `Bearer ${tokens.access_token}` };

  const opened = await postMessage(mcpUrl, INITIALIZE, bearer);
  expect(opened.status).toBe(200);
  const sessionId = opened.headers.get("mcp-session-id") as string;
  expect(sessionId).toBeString();
  await opened.text();
  // A second request through the proxy puts the token in its verified-token cache.
  const listed = await postMessage(
    mcpUrl,
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
    {
      ...bearer,
      "mcp-session-id": sessionId,
    },
  );
  expect(listed.status).toBe(200);
  await listed.text();

  const cookie = `${sessionCookieName(gateway.url)}=${gateway.ctx.browserSessions.create(setup.user.id, null).cookieValue}`;
  // Alice is not an admin: a live session gets the 403 page, a dead one the login redirect.
  expect((await gateway.request("/admin/", { headers: { cookie } })).status).toBe(403);
  expect((await gateway.request("/auth/me", { headers: bearer })).status).toBe(200);
  return { mcpUrl, tokens, bearer, sessionId, cookie };
}

async function patchAlice(body: unknown) {
  const response = await gateway.request(
    `/admin/api/users/${setup.user.id}`,
    jsonInit(body, { method: "PATCH", headers: { authorization: `Bearer ${setup.adminToken}` } }),
  );
  expect(response.status).toBe(200);
  return response.json();
}

async function expectAllEnded(credentials: Awaited<ReturnType<typeof aliceCredentials>>) {
  const { mcpUrl, tokens, bearer, sessionId, cookie } = credentials;
  const me = await gateway.request("/auth/me", { headers: bearer });
  expect(me.status).toBe(401);
  const proxied = await postMessage(
    mcpUrl,
    { jsonrpc: "2.0", id: 3, method: "tools/list" },
    {
      ...bearer,
      "mcp-session-id": sessionId,
    },
  );
  expect(proxied.status).toBe(401);
  const refreshed = await gateway.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }));
  expect(refreshed.status).toBe(401);
  const page = await gateway.request("/admin/", { headers: { cookie } });
  expect(page.status).toBe(303);
}

describe("disabling a user or resetting a password ends every credential at the next request", () => {
  test("disable: access token (direct and cached by the proxy), refresh token, browser session, MCP session", async () => {
    const credentials = await aliceCredentials();
    const backendRequests = backend.received.length;
    const view = (await patchAlice({ is_active: false })) as { is_active: boolean };
    expect(view.is_active).toBe(false);
    await expectAllEnded(credentials);
    expect(backend.received.length).toBe(backendRequests);

    // Enabled again: the old access token stays dead, and the MCP session is gone for good.
    await patchAlice({ is_active: true });
    expect((await gateway.request("/auth/me", { headers: credentials.bearer })).status).toBe(401);
    gateway.clock.advance(1000); // cutoffs compare whole-second iat
    const fresh = await login(gateway, "alice", { resource: credentials.mcpUrl });
    const again = await postMessage(
      credentials.mcpUrl,
      { jsonrpc: "2.0", id: 4, method: "tools/list" },
      {
        authorization: `Bearer ${fresh.access_token}`,
        "mcp-session-id": credentials.sessionId,
      },
    );
    expect(again.status).toBe(404);
    expect(backend.received.length).toBe(backendRequests);
  });

  test("password reset: the same, and the new password signs in while the old one does not", async () => {
    const credentials = await aliceCredentials();
    const backendRequests = backend.received.length;
    await patchAlice({ password: NEW_PASSWORD });
    await expectAllEnded(credentials);
    expect(backend.received.length).toBe(backendRequests);

    gateway.clock.advance(1000);
    const old = await gateway.request(
      "/auth/login",
      jsonInit({ username: "alice", password: STRONG_PASSWORD }),
    );
    expect(old.status).toBe(401);
    const fresh = await gateway.request(
      "/auth/login",
      jsonInit({ username: "alice", password: NEW_PASSWORD, resource: credentials.mcpUrl }),
    );
    expect(fresh.status).toBe(200);
    const { access_token } = (await fresh.json()) as { access_token: string };
    const reused = await postMessage(
      credentials.mcpUrl,
      { jsonrpc: "2.0", id: 5, method: "tools/list" },
      {
        authorization: `Bearer ${access_token}`,
        "mcp-session-id": credentials.sessionId,
      },
    );
    expect(reused.status).toBe(404);
    const newSession = await postMessage(credentials.mcpUrl, INITIALIZE, {
      authorization: `Bearer ${access_token}`,
    });
    expect(newSession.status).toBe(200);
    await newSession.text();
  });

  test("the other users' credentials are untouched", async () => {
    await aliceCredentials();
    const mallory = await login(gateway, "mallory");
    await patchAlice({ is_active: false });
    expect(
      (await gateway.request("/auth/me", { headers: { authorization: `Bearer ${mallory.access_token}` } }))
        .status,
    ).toBe(200);
    const refreshed = await gateway.request(
      "/auth/refresh",
      jsonInit({ refresh_token: mallory.refresh_token }),
    );
    expect(refreshed.status).toBe(200);
  });

  test("the per-user cutoff survives a restart (loaded from the database)", async () => {
    const credentials = await aliceCredentials();
    await patchAlice({ is_active: false });
    await patchAlice({ is_active: true });
    const { RevocationList } = await import("../../src/oauth/revocation.ts");
    const reloaded = new RevocationList(gateway.ctx.db, gateway.clock);
    const claims = await gateway.ctx.accessTokens.verify(credentials.tokens.access_token, gateway.url);
    if (!claims.ok) throw new Error("token did not verify");
    expect(reloaded.isRevoked(claims.claims)).toBe(true);
  });
});
