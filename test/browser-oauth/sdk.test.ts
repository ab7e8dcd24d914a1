import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, BrowserContext } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import {
  BrowserOAuthProvider,
  type CallbackServer,
  callbackServer,
  listAndCall,
  newMcpClient,
  type OAuthStage,
  oauthStage,
  selfSignedCert,
  within,
} from "../support/browser-oauth.ts";

// The official MCP SDK client, with the person's part done in Chromium (issue 10 §2).

let stage: OAuthStage;
let browser: Browser;
let callback: CallbackServer;
let cert: ReturnType<typeof selfSignedCert>;
let docs: ReturnType<typeof Bun.serve>;
let documentUrl: string;

beforeAll(async () => {
  cert = selfSignedCert();
  callback = callbackServer();
  // A client ID metadata document served over https on loopback (the SDK sends only https URLs).
  docs = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.cert, key: cert.key },
    fetch: (request) => {
      if (new URL(request.url).pathname !== "/client.json") return new Response("no", { status: 404 });
      return Response.json({
        client_id: documentUrl,
        client_name: "SDK CIMD browser client",
        redirect_uris: [`http://127.0.0.1:${callback.port}/callback`],
        token_endpoint_auth_method: "none",
      });
    },
  });
  documentUrl = `https://127.0.0.1:${docs.port}/client.json`;
  stage = await oauthStage({
    OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}`,
    OAUTH_CIMD_CA_FILE: cert.caFile,
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stage?.close();
  callback?.close();
  docs?.stop(true);
  cert?.dispose();
});

/** connect → 401 → discovery → registration → Chromium → callback → finishAuth → connected. */
async function connectThroughBrowser(provider: BrowserOAuthProvider) {
  const url = new URL(stage.serverUrl);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const refused = await within("connect before sign-in", newMcpClient().connect(first)).catch((e) => e);
  expect(refused).toBeInstanceOf(UnauthorizedError);
  const code = await within("sign-in in Chromium", provider.pendingCode as Promise<string>, 40_000);
  await within("token exchange", first.finishAuth(code));
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const client = newMcpClient();
  await within("connect with the token", client.connect(transport));
  return { client, transport };
}

describe("the MCP SDK client signs in through Chromium", () => {
  let context: BrowserContext;
  let provider: BrowserOAuthProvider;

  test("401 → discovery → DCR → login and consent in Chromium → token → tools/list and tools/call", async () => {
    context = await browser.newContext();
    provider = new BrowserOAuthProvider(context, callback);
    const { client } = await connectThroughBrowser(provider);
    expect(provider.info?.client_id).toBeDefined();
    const { tools, echoed } = await listAndCall(client);
    expect(tools).toContain("echo");
    expect(echoed).toBe("through the gateway");
    await client.close();
    expect(
      stage.backend.received.some((r) => JSON.stringify(r.body ?? null).includes("through the gateway")),
    ).toBe(true);
  }, 60_000);

  test("the access token expires: the client refreshes without the person", async () => {
    const { client } = await (async () => {
      const transport = new StreamableHTTPClientTransport(new URL(stage.serverUrl), {
        authProvider: provider,
      });
      const c = newMcpClient();
      await c.connect(transport);
      return { client: c };
    })();
    const before = { ...provider.saved };
    const authorizations = provider.authorizationUrls.length;
    const { config } = stage.gw.ctx;
    stage.gw.clock.advance((config.accessTokenMinutes * 60 + config.clockSkewSeconds + 5) * 1000);
    const { echoed } = await listAndCall(client);
    expect(echoed).toBe("through the gateway");
    expect(provider.saved?.access_token).not.toBe(before.access_token);
    expect(provider.saved?.refresh_token).not.toBe(before.refresh_token);
    expect(provider.authorizationUrls.length).toBe(authorizations);
    await client.close();
  }, 60_000);

  test("remembered consent: the second authorization skips the consent page and reaches the callback", async () => {
    // The same client and redirect URI ask again (tokens lost): no consent page, straight back.
    provider.saved = undefined;
    expect(provider.consentPages.length).toBe(1);
    const { client } = await connectThroughBrowser(provider);
    expect(provider.authorizationUrls.length).toBe(2);
    expect((await listAndCall(client)).echoed).toBe("through the gateway");
    await client.close();
    expect(provider.consentPages.length).toBe(1);
  }, 60_000);

  test("remembered consent after signing in: POST /login → authorize → the client, without a consent page", async () => {
    // A fresh browser (no session) for a client the person approved: the sign-in itself ends at
    // the client's redirect URI, which the login page's form-action must allow.
    const fresh = await browser.newContext();
    try {
      const freshProvider = new BrowserOAuthProvider(fresh, callback);
      freshProvider.info = provider.info;
      const { client } = await connectThroughBrowser(freshProvider);
      expect((await listAndCall(client)).echoed).toBe("through the gateway");
      await client.close();
      expect(freshProvider.consentPages).toEqual([]);
      const rows = stage.gw.ctx.db.$client.query("select count(*) as n from oauth_consents").get() as {
        n: number;
      };
      expect(rows.n).toBe(1);
    } finally {
      await fresh.close();
    }
  }, 60_000);

  test("a client ID metadata document client (client_id is an https URL) signs in the same way", async () => {
    const fresh = await browser.newContext();
    try {
      const cimd = new BrowserOAuthProvider(fresh, callback, documentUrl);
      const { client } = await connectThroughBrowser(cimd);
      expect(cimd.info?.client_id).toBe(documentUrl);
      const { tools, echoed } = await listAndCall(client);
      expect(tools).toContain("echo");
      expect(echoed).toBe("through the gateway");
      await client.close();
      // The consent page showed the document's name as its own claim, its publisher and the redirect host.
      const html = cimd.consentPages[0] ?? "";
      expect(html).toContain("SDK CIMD browser client");
      expect(html).toContain("unverified name");
      expect(html).toContain(`127.0.0.1:${docs.port}`);
      expect(html).toContain(`127.0.0.1:${callback.port}`);
    } finally {
      await fresh.close();
    }
  }, 60_000);
});
