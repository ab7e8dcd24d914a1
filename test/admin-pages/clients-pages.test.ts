import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientStore, type OAuthClient } from "../../src/oauth/client-store.ts";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import {
  authorizeQuery,
  browserUser,
  exchangeCode,
  form,
  obtainCode,
  pkcePair,
  REDIRECT,
  registerClient,
} from "../support/oauth-helpers.ts";

let gateway: TestGateway;

// One gateway for the file (users with passwords are slow to create); registration needs approval.
beforeAll(async () => {
  gateway = await testGateway({ OAUTH_REGISTRATION_MODE: "approval" });
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
});
afterAll(() => gateway?.close());

async function signedIn(username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  expect(result.response.status).toBe(303);
  return jar;
}

async function csrfOf(jar: Jar): Promise<string> {
  return hiddenValue((await getPage(gateway, jar, "/admin/clients")).html, "_csrf") as string;
}

/** The clients table, read as the gateway reads it. */
const store = () => new ClientStore(gateway.ctx.db);
/** Every client as stored, to compare before and after a refused POST. */
const clientState = () => JSON.stringify(store().list());

describe("admin OAuth clients page", () => {
  test("without a session → the login, which comes back; a non-admin → 403", async () => {
    const client = await registerClient(gateway, { client_name: "Secret project" });
    const anonymous = await gateway.request("/admin/clients");
    expect(anonymous.status).toBe(303);
    const location = new URL(anonymous.headers.get("location") as string, "http://x");
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("return_to")).toBe("/admin/clients");
    const jar = await signedIn("alice");
    const { response, html } = await getPage(gateway, jar, "/admin/clients");
    expect(response.status).toBe(403);
    expect(html).not.toContain(client.client_id);
    const approve = await postForm(gateway, jar, `/admin/clients/${client.client_id}/approve`, {
      _csrf: hiddenValue((await getPage(gateway, jar, "/portal/account")).html, "_csrf") as string,
    });
    expect(approve.response.status).toBe(403);
    expect(store().find(client.client_id)?.status).toBe("pending");
  });

  test("every POST without a valid CSRF token or from another origin → 403 and nothing changes", async () => {
    const client = await registerClient(gateway, { client_name: "Pending one" });
    const jar = await signedIn();
    const csrf = await csrfOf(jar);
    const posts: [string, Record<string, string>][] = [
      [
        "/admin/clients",
        { client_name: "Sneaky", redirect_uris: REDIRECT, token_endpoint_auth_method: "none" },
      ],
      [`/admin/clients/${client.client_id}/approve`, {}],
      [`/admin/clients/${client.client_id}/delete`, {}],
    ];
    const before = clientState();
    for (const [path, fields] of posts) {
      expect((await postForm(gateway, jar, path, fields)).response.status).toBe(403);
      expect((await postForm(gateway, jar, path, { ...fields, _csrf: "wrong" })).response.status).toBe(403);
      const foreign = await postForm(
        gateway,
        jar,
        path,
        { ...fields, _csrf: csrf },
        { origin: "https://evil.example" },
      );
      expect(foreign.response.status).toBe(403);
    }
    expect(clientState()).toBe(before);
  });

  test("list: every kind with name, id, redirect URIs, kind, status; a name with HTML is shown as text", async () => {
    const hostile = await registerClient(gateway, { client_name: '<img src=x onerror="alert(1)">Evil' });
    const template = store().find(hostile.client_id) as OAuthClient;
    for (const source of ["admin", "config"] as const) {
      store().insert({
        ...template,
        clientId: `listed-${source}`,
        name: `From ${source}`,
        source,
        status: "active",
      });
    }
    const jar = await signedIn();
    const { response, html } = await getPage(gateway, jar, "/admin/clients");
    expect(response.status).toBe(200);
    expect(parseElements(html, "img")).toHaveLength(0);
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Evil");
    const rows = parseElements(html, "tr[data-client]").map((row) => row["data-client"]);
    expect(rows).toContain(hostile.client_id);
    expect(rows).toHaveLength(store().list().length);
    expect(html).toContain(REDIRECT);
    expect(html).toContain("dynamically registered");
    expect(html).toContain("pre-registered");
    expect(html).toContain("config file");
    // Only pending clients have an Approve button; every client has Delete.
    expect(parseElements(html, `form[action="/admin/clients/${hostile.client_id}/approve"]`)).toHaveLength(1);
    expect(parseElements(html, 'form[action="/admin/clients/listed-admin/approve"]')).toHaveLength(0);
    expect(parseElements(html, 'form[action="/admin/clients/listed-admin/delete"]')).toHaveLength(1);
    expect(html).toContain("waiting for approval");
    expect(parseElements(html, "nav.admin-nav a[aria-current=page]")[0]?.href).toBe("/admin/clients");
  });

  test("approve: a pending client becomes active and may then start an authorization", async () => {
    const client = await registerClient(gateway, { client_name: "Waiting app" });
    expect(store().find(client.client_id)?.status).toBe("pending");
    const session = await browserUser(gateway, "alice");
    const { challenge } = await pkcePair();
    const authorize = authorizeQuery({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const refused = await gateway.request(authorize, { headers: { cookie: session.cookie } });
    expect(refused.status).toBe(400);
    const jar = await signedIn();
    const approved = await postForm(gateway, jar, `/admin/clients/${client.client_id}/approve`, {
      _csrf: await csrfOf(jar),
    });
    expect(approved.response.status).toBe(200);
    expect(approved.html).toContain("Client Waiting app approved");
    expect(store().find(client.client_id)?.status).toBe("active");
    expect((await gateway.request(authorize, { headers: { cookie: session.cookie } })).status).toBe(200);
    const events = gateway.ctx.securityLog.page({ types: ["admin_change"] }, 20, 0).rows;
    expect(events.some((e) => e.details.action === `POST /admin/clients/${client.client_id}/approve`)).toBe(
      true,
    );
    const unknown = await postForm(gateway, jar, "/admin/clients/no-such-client/approve", {
      _csrf: await csrfOf(jar),
    });
    expect(unknown.response.status).toBe(404);
  });

  test("create: errors inline and nothing stored; success shows the secret once, the list never, and the secret works", async () => {
    const jar = await signedIn();
    const csrf = await csrfOf(jar);
    const count = store().list().length;
    const bad = await postForm(gateway, jar, "/admin/clients", {
      _csrf: csrf,
      client_name: "Bad redirect",
      redirect_uris: "http://evil.example/cb",
      token_endpoint_auth_method: "client_secret_basic",
    });
    expect(bad.response.status).toBe(400);
    expect(bad.html).toContain('class="errors"');
    expect(bad.html).toContain('value="Bad redirect"');
    expect(store().list().length).toBe(count);

    const created = await postForm(gateway, jar, "/admin/clients", {
      _csrf: csrf,
      client_name: "CI runner",
      redirect_uris: `${REDIRECT}\n`,
      token_endpoint_auth_method: "client_secret_post",
      refresh_token: "on",
    });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("cache-control")).toBe("no-store");
    const client = store()
      .list()
      .find((c) => c.name === "CI runner");
    expect(client?.source).toBe("admin");
    expect(client?.status).toBe("active");
    expect(client?.grantTypes).toEqual(["authorization_code", "refresh_token"]);
    const secret = /<code class="client-secret">([^<]+)<\/code>/.exec(created.html)?.[1] as string;
    expect(secret.length).toBeGreaterThan(20);
    expect(created.html.split(secret)).toHaveLength(2);

    const list = await getPage(gateway, jar, "/admin/clients");
    expect(list.html).toContain(client?.clientId as string);
    expect(list.html).not.toContain(secret);
    expect(list.html).not.toContain(client?.secretHash as string);
    const events = gateway.ctx.securityLog.page({ types: ["admin_change"] }, 50, 0).rows;
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(client?.secretHash as string);

    // The secret shown is the client's: the token endpoint accepts it, and refuses another one.
    const session = await browserUser(gateway, "alice");
    const pkce = await pkcePair();
    const { code } = await obtainCode(gateway, session, {
      client_id: client?.clientId,
      code_challenge: pkce.challenge,
    });
    const wrong = await exchangeCode(gateway, client?.clientId as string, code, pkce.verifier, {
      client_secret: "not-the-secret",
    });
    expect(wrong.status).toBe(401);
    const { code: code2 } = await obtainCode(gateway, session, {
      client_id: client?.clientId,
      code_challenge: pkce.challenge,
    });
    const token = await exchangeCode(gateway, client?.clientId as string, code2, pkce.verifier, {
      client_secret: secret,
    });
    expect(token.status).toBe(200);
  });

  test("delete: the client is gone and its refresh token fails at /oauth/token", async () => {
    const client = await registerClient(gateway, { client_name: "Soon deleted" });
    store().approve(client.client_id);
    const row = store().find(client.client_id);
    const session = await browserUser(gateway, "alice");
    const pkce = await pkcePair();
    const { code } = await obtainCode(gateway, session, {
      client_id: client.client_id,
      code_challenge: pkce.challenge,
    });
    const tokens = (await (await exchangeCode(gateway, client.client_id, code, pkce.verifier)).json()) as {
      refresh_token: string;
    };
    const refresh = () =>
      gateway.request(
        "/oauth/token",
        form({
          grant_type: "refresh_token",
          client_id: client.client_id,
          refresh_token: tokens.refresh_token,
        }),
      );
    const first = (await (await refresh()).json()) as { refresh_token: string };
    tokens.refresh_token = first.refresh_token;

    const jar = await signedIn();
    const deleted = await postForm(gateway, jar, `/admin/clients/${client.client_id}/delete`, {
      _csrf: await csrfOf(jar),
    });
    expect(deleted.response.status).toBe(200);
    expect(deleted.html).toContain("Client Soon deleted deleted");
    expect(parseElements(deleted.html, `tr[data-client="${client.client_id}"]`)).toHaveLength(0);
    expect(store().find(client.client_id)).toBeUndefined();
    const after = await refresh();
    expect(after.status).toBeGreaterThanOrEqual(400);
    expect(after.status).toBeLessThan(500);
    expect(((await after.json()) as { error: string }).error).toMatch(/invalid_(client|grant)/);
    // Its tokens were revoked, not only orphaned: with the client row back, the refresh token stays dead.
    if (row) store().insert(row);
    const revived = await refresh();
    expect(revived.status).toBe(400);
    expect(((await revived.json()) as { error: string }).error).toBe("invalid_grant");
    store().delete(client.client_id);
    const again = await postForm(gateway, jar, `/admin/clients/${client.client_id}/delete`, {
      _csrf: await csrfOf(jar),
    });
    expect(again.response.status).toBe(404);
  });
});
