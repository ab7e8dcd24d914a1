import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createUser, jsonInit, login, type TestGateway, tempDir } from "../support/context.ts";
import {
  browserUser,
  exchangeCode,
  form,
  obtainCode,
  pkcePair,
  type Registered,
  registerClient,
} from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { expectNoSecrets, only, overHttp, stored } from "./helpers.ts";

const ROBOT_SECRET = "robot-secret-0123456789-abcdefghij";
let listening: ListeningGateway;
let gw: TestGateway;

beforeAll(async () => {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    `oauth_clients:\n  robot:\n    client_name: Robot\n    client_secret: ${ROBOT_SECRET}\n    grant_types: [client_credentials]\n    service_user: svc\n`,
  );
  listening = await listeningGateway({ OAUTH_REFRESH_GRACE_SECONDS: "0" }, { configFile: file });
  gw = overHttp(listening);
});
afterAll(() => listening.close());

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe("OAuth events", () => {
  let client: Registered;
  let session: Awaited<ReturnType<typeof browserUser>>;
  let code: string;
  let verifier: string;
  let first: Tokens;
  let second: Tokens;

  test("client registered (DCR): its id and name, never its secret", async () => {
    client = await registerClient(gw, { token_endpoint_auth_method: "client_secret_post" });
    expect(client.client_secret).toBeString();
    const event = only(gw, "client_registered");
    expect(event).toMatchObject({
      clientId: client.client_id,
      ip: "127.0.0.1",
      severity: "info",
      details: { registration: "dynamic", clientName: "Test client", status: "active" },
    });
    expectNoSecrets(gw, [client.client_secret]);
  });

  test("consent granted: user, client, resource and scope", async () => {
    session = await browserUser(gw, "alice");
    const pkce = await pkcePair();
    verifier = pkce.verifier;
    ({ code } = await obtainCode(gw, session, {
      client_id: client.client_id,
      code_challenge: pkce.challenge,
      resource: `${listening.url}/mcp`,
    }));
    expect(only(gw, "consent_granted")).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      ip: "127.0.0.1",
      details: { resource: `${listening.url}/mcp` },
    });
    expectNoSecrets(gw, [code, session.csrf, session.cookie.split("=")[1]]);
  });

  test("token issued for the authorization_code grant", async () => {
    const response = await exchangeCode(gw, client.client_id, code, verifier, {
      client_secret: client.client_secret as string,
    });
    expect(response.status).toBe(200);
    first = (await response.json()) as Tokens;
    expect(only(gw, "token_issued")).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      ip: "127.0.0.1",
      details: { grantType: "authorization_code", resource: `${listening.url}/mcp`, refreshToken: true },
    });
    expectNoSecrets(gw, [first.access_token, first.refresh_token, code, verifier, client.client_secret]);
  });

  test("token refreshed", async () => {
    const response = await gw.request(
      "/oauth/token",
      form({
        grant_type: "refresh_token",
        refresh_token: first.refresh_token,
        client_id: client.client_id,
        client_secret: client.client_secret as string,
      }),
    );
    expect(response.status).toBe(200);
    second = (await response.json()) as Tokens;
    expect(only(gw, "token_refreshed")).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      ip: "127.0.0.1",
      details: { grantType: "refresh_token" },
    });
    expectNoSecrets(gw, [first.refresh_token, second.access_token, second.refresh_token]);
  });

  test("refresh-token reuse: high severity, the family revoked", async () => {
    const response = await gw.request(
      "/oauth/token",
      form({
        grant_type: "refresh_token",
        refresh_token: first.refresh_token,
        client_id: client.client_id,
        client_secret: client.client_secret as string,
      }),
    );
    expect(response.status).toBe(400);
    expect(only(gw, "refresh_token_reuse")).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      severity: "high",
      ip: "127.0.0.1",
      details: { familyRevoked: true },
    });
    expectNoSecrets(gw, [first.refresh_token, second.refresh_token]);
  });

  test("token revoked through /oauth/revoke", async () => {
    const before = stored(gw, "token_revoked").length;
    const pkce = await pkcePair();
    const { code: another } = await obtainCode(gw, session, {
      client_id: client.client_id,
      code_challenge: pkce.challenge,
      resource: `${listening.url}/mcp`,
    });
    const tokens = (await (
      await exchangeCode(gw, client.client_id, another, pkce.verifier, {
        client_secret: client.client_secret as string,
      })
    ).json()) as Tokens;
    const response = await gw.request(
      "/oauth/revoke",
      form({
        token: tokens.refresh_token,
        client_id: client.client_id,
        client_secret: client.client_secret as string,
      }),
    );
    expect(response.status).toBe(200);
    const revoked = stored(gw, "token_revoked").slice(before);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      ip: "127.0.0.1",
      details: { tokenType: "refresh_token", via: "/oauth/revoke" },
    });
    expectNoSecrets(gw, [tokens.refresh_token, tokens.access_token]);
  });

  test("consent revoked by the person", async () => {
    const list = (await (
      await gw.request("/oauth/consents", { headers: { cookie: session.cookie } })
    ).json()) as { consents: { id: string }[] };
    const id = list.consents[0]?.id as string;
    const response = await gw.request(`/oauth/consents/${id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: listening.url, "x-csrf-token": session.csrf },
    });
    expect(response.status).toBe(204);
    expect(only(gw, "consent_revoked")).toMatchObject({
      userId: session.user.id,
      clientId: client.client_id,
      ip: "127.0.0.1",
      details: { resource: `${listening.url}/mcp`, tokensRevoked: true },
    });
    expectNoSecrets(gw, [session.csrf]);
  });

  test("token issued for the client_credentials grant", async () => {
    const svc = await createUser(gw, "svc");
    const response = await gw.request(
      "/oauth/token",
      form({ grant_type: "client_credentials" }, { authorization: `Basic ${btoa(`robot:${ROBOT_SECRET}`)}` }),
    );
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as Tokens;
    const issued = stored(gw, "token_issued").filter((e) => e.details.grantType === "client_credentials");
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ userId: svc.id, clientId: "robot", ip: "127.0.0.1" });
    expectNoSecrets(gw, [ROBOT_SECRET, access_token, btoa(`robot:${ROBOT_SECRET}`)]);
  });
});

describe("first-party /auth events", () => {
  test("password sign-in issues tokens (grant password), refresh, reuse and logout are recorded", async () => {
    const bob = await createUser(gw, "bob");
    const tokens = await login(gw, "bob");
    const issued = stored(gw, "token_issued").filter((e) => e.userId === bob.id);
    expect(issued.map((e) => [e.clientId, e.details.grantType, e.ip])).toEqual([
      ["authmcp-gateway", "password", "127.0.0.1"],
    ]);
    const refreshed = await gw.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }));
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as Tokens;
    expect(stored(gw, "token_refreshed").filter((e) => e.userId === bob.id)).toHaveLength(1);
    const reused = await gw.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }));
    expect(reused.status).toBe(401);
    expect(stored(gw, "refresh_token_reuse").filter((e) => e.userId === bob.id)).toHaveLength(1);
    const again = await login(gw, "bob");
    const logout = await gw.request("/auth/logout", {
      method: "POST",
      headers: { authorization: `Bearer ${again.access_token}` },
    });
    expect(logout.status).toBe(204);
    const revoked = stored(gw, "token_revoked").filter((e) => e.userId === bob.id);
    expect(revoked.map((e) => [e.clientId, e.details])).toEqual([
      ["authmcp-gateway", { tokenType: "access_token+refresh_token", via: "/auth/logout" }],
    ]);
    expectNoSecrets(gw, [
      tokens.access_token,
      tokens.refresh_token,
      next.access_token,
      next.refresh_token,
      again.access_token,
      again.refresh_token,
    ]);
  });
});
