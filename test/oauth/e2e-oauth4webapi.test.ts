import { afterAll, beforeAll, expect, test } from "bun:test";
import * as oauth from "oauth4webapi";
import { FakeClock } from "../support/clock.ts";
import { createUser, STRONG_PASSWORD } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

/** Follows nothing by itself: keeps cookies like a browser and returns each response. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly origin: string) {}

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    if (init.method === "POST") headers.set("origin", this.origin);
    const response = await fetch(new URL(url, this.origin), { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  }

  postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out[match[1] as string] = (match[2] as string)
      .replace(/&amp;/g, "&")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">");
  }
  return out;
}

let gw: ListeningGateway;
beforeAll(async () => {
  // oauth4webapi checks exp/iat against the real clock: the fake clock starts at "now".
  gw = await listeningGateway({}, { clock: new FakeClock(Date.now()) });
  gw.ctx.resources.addServerLookup((n) => n === "alpha");
  await createUser(gw, "alice");
}, 30_000); // real servers, TLS and password hashing: slow on a loaded machine
afterAll(() => gw.close());

test("oauth4webapi: discovery, DCR, login + consent over HTTP, code + PKCE, refresh, introspect, revoke", async () => {
  const insecure = { [oauth.allowInsecureRequests]: true };
  const issuer = new URL(gw.url);
  const resource = `${gw.url}/mcp/alpha`;

  // Protected resource metadata, then the authorization server's.
  const rs = await oauth.processResourceDiscoveryResponse(
    new URL(resource),
    await oauth.resourceDiscoveryRequest(new URL(resource), insecure),
  );
  expect(rs.authorization_servers).toEqual([gw.url]);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }),
  );
  expect(as.code_challenge_methods_supported).toContain("S256");

  const redirectUri = "http://127.0.0.1:1/callback";
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: "oauth4webapi e2e",
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code", "refresh_token"],
      },
      insecure,
    ),
  );
  const client: oauth.Client = { client_id: registered.client_id };
  const auth = oauth.ClientSecretBasic(registered.client_secret as string);

  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    scope: "mcp",
    resource,
  }).toString();

  // The browser: authorize → login page → log in → back to authorize → consent → redirect.
  const browser = new Browser(gw.url);
  const first = await browser.fetch(url.toString());
  expect(first.status).toBe(303);
  const loginPage = await browser.fetch(first.headers.get("location") as string);
  expect(loginPage.status).toBe(200);
  const loginFields = hiddenFields(await loginPage.text());
  const loggedIn = await browser.postForm("/login", {
    ...loginFields,
    username: "alice",
    password: STRONG_PASSWORD,
  });
  expect(loggedIn.status).toBe(303);
  const back = loggedIn.headers.get("location") as string;
  expect(back.startsWith("/oauth/authorize?")).toBe(true);
  const consent = await browser.fetch(back);
  expect(consent.status).toBe(200);
  const consentHtml = await consent.text();
  expect(consentHtml).toContain("oauth4webapi e2e");
  const approved = await browser.postForm("/oauth/authorize", {
    ...hiddenFields(consentHtml),
    decision: "approve",
  });
  expect(approved.status).toBe(303);
  const callback = new URL(approved.headers.get("location") as string);
  expect(callback.origin + callback.pathname).toBe(redirectUri);

  const params = oauth.validateAuthResponse(as, client, callback, state);
  const tokens = await oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, {
      additionalParameters: { resource },
      ...insecure,
    }),
  );
  expect(tokens.token_type).toBe("bearer");
  expect(typeof tokens.refresh_token).toBe("string");

  // RFC 9068 validation by the library itself (typ, iss, aud, exp, signature via jwks_uri).
  const claims = await oauth.validateJwtAccessToken(
    as,
    new Request(resource, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    resource,
    insecure,
  );
  expect(claims.client_id).toBe(client.client_id);

  const refreshed = await oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token as string, insecure),
  );
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

  const introspected = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure),
  );
  expect(introspected.active).toBe(true);
  expect(introspected.aud).toBe(resource);

  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, refreshed.refresh_token as string, insecure),
  );
  const afterRevoke = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, refreshed.access_token, insecure),
  );
  expect(afterRevoke.active).toBe(false);
  const refusedRefresh = await oauth.refreshTokenGrantRequest(
    as,
    client,
    auth,
    refreshed.refresh_token as string,
    insecure,
  );
  await expect(oauth.processRefreshTokenResponse(as, client, refusedRefresh)).rejects.toThrow();
});
