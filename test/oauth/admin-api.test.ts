import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createUser, jsonInit, login, type TestGateway, testGateway } from "../support/context.ts";
import { authorizeQuery, browserUser, pkcePair, REDIRECT, registerClient } from "../support/oauth-helpers.ts";

const PUBLIC = "https://gw.example.test";
const BASE = "/admin/api/oauth-clients";
let gw: TestGateway;
let admin: string;
let user: string;
beforeEach(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC, OAUTH_REGISTRATION_MODE: "approval" });
  await createUser(gw, "root", { isAdmin: true });
  await createUser(gw, "bob");
  admin = (await login(gw, "root")).access_token;
  user = (await login(gw, "bob")).access_token;
});
afterEach(() => gw.close());

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("admin API of OAuth clients", () => {
  test("only admins; list never shows secrets", async () => {
    expect((await gw.request(BASE)).status).toBe(401);
    expect((await gw.request(BASE, auth(user))).status).toBe(403);
    const created = await gw.request(
      BASE,
      jsonInit(
        { client_name: "Pre", redirect_uris: [REDIRECT], token_endpoint_auth_method: "client_secret_post" },
        auth(admin),
      ),
    );
    expect(created.status).toBe(201);
    const body = (await created.json()) as { client_id: string; client_secret: string; status: string };
    expect(body.client_secret.length).toBeGreaterThan(30);
    expect(body.status).toBe("active");
    const list = await (await gw.request(BASE, auth(admin))).text();
    expect(list).toContain(body.client_id);
    expect(list).not.toContain(body.client_secret);
    expect(list).not.toContain("secret_hash");
    expect(list).not.toContain("secretHash");
    const bad = await gw.request(BASE, jsonInit({ redirect_uris: ["http://evil.example/cb"] }, auth(admin)));
    expect(bad.status).toBe(400);
    const userCreate = await gw.request(BASE, jsonInit({ redirect_uris: [REDIRECT] }, auth(user)));
    expect(userCreate.status).toBe(403);
  });

  test("approval mode: a pending client is refused until an admin approves it", async () => {
    const client = await registerClient(gw);
    const session = await browserUser(gw);
    const { challenge } = await pkcePair();
    const q = authorizeQuery({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    // Not yet approved by this person: the error is shown, not redirected (open redirect, issue 11).
    const before = await gw.request(q, { headers: { cookie: session.cookie } });
    expect(before.status).toBe(400);
    expect(before.headers.get("location")).toBeNull();
    expect(await before.text()).toContain("waiting for approval");
    expect(
      (await gw.request(`${BASE}/${client.client_id}/approve`, { method: "POST", ...auth(user) })).status,
    ).toBe(403);
    const approved = await gw.request(`${BASE}/${client.client_id}/approve`, {
      method: "POST",
      ...auth(admin),
    });
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { status: string }).status).toBe("active");
    const after = await gw.request(q, { headers: { cookie: session.cookie } });
    expect(after.status).toBe(200);
    expect((await gw.request(`${BASE}/nope/approve`, { method: "POST", ...auth(admin) })).status).toBe(404);
  });

  test("delete: the client is gone; unknown → 404", async () => {
    const client = await registerClient(gw);
    expect(
      (await gw.request(`${BASE}/${client.client_id}`, { method: "DELETE", ...auth(user) })).status,
    ).toBe(403);
    expect(
      (await gw.request(`${BASE}/${client.client_id}`, { method: "DELETE", ...auth(admin) })).status,
    ).toBe(204);
    expect(
      (await gw.request(`${BASE}/${client.client_id}`, { method: "DELETE", ...auth(admin) })).status,
    ).toBe(404);
    const session = await browserUser(gw);
    const { challenge } = await pkcePair();
    const res = await gw.request(
      authorizeQuery({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
      { headers: { cookie: session.cookie } },
    );
    expect(res.status).toBe(400);
  });
});
