import { afterAll, beforeAll, expect, test } from "bun:test";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser } from "playwright-core";
import { createServer } from "../gateway/helpers.ts";
import { launchBrowser } from "../support/browser.ts";
import { type CallbackServer, callbackServer, newMcpClient, within } from "../support/browser-oauth.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, jsonInit, login } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type OidcIssuer, startOidcIssuer } from "../support/oidc-issuer.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { UpstreamBrowserOAuthProvider, type UpstreamPerson } from "../support/upstream-browser.ts";

// The Done-when test of upstream sign-in: the MCP SDK client → gateway authorize → "Sign in with …"
// → a real OpenID provider's login and consent in Chromium → the gateway's consent → the client's
// callback → tools/list on /mcp/{server}, the backend learning the upstream identity. Two providers
// at once, each used by another person.

const SECRET = "a-client-secret-of-the-gateway-at-the-idp";

let backend: McpBackend;
let gw: ListeningGateway;
let corp: OidcIssuer;
let partner: OidcIssuer;
let browser: Browser;
let callback: CallbackServer;

beforeAll(async () => {
  backend = await startMcpBackend();
  gw = await listeningGateway({}, { clock: new FakeClock(Date.now()) });
  await createUser(gw, "root", { isAdmin: true });
  const adminToken = (await login(gw, "root")).access_token;
  await createServer(gw, adminToken, {
    name: "alpha",
    url: backend.url,
    open_to_all: true,
    user_context: "headers",
  });
  corp = await startOidcIssuer({
    clientId: "gateway",
    clientSecret: SECRET,
    redirectUris: [`${gw.url}/login/upstream/corp/callback`],
    accounts: [
      {
        sub: "ada",
        email: "ada@corp.example",
        email_verified: true,
        name: "Ada L",
        groups: ["eng", "staff"],
      },
    ],
  });
  partner = await startOidcIssuer({
    clientId: "gateway",
    clientSecret: SECRET,
    redirectUris: [`${gw.url}/login/upstream/partner/callback`],
    accounts: [
      { sub: "bo", email: "bo@partner.example", email_verified: true, name: "Bo P", groups: ["ops"] },
    ],
  });
  // Both providers through the admin API (the config file's oauth_providers is tested elsewhere).
  for (const [slug, issuer, name] of [
    ["corp", corp.issuer, "Corp SSO"],
    ["partner", partner.issuer, "Partner IdP"],
  ] as const) {
    const response = await gw.request(
      "/admin/api/identity-providers",
      jsonInit(
        {
          slug,
          type: "oidc",
          display_name: name,
          issuer,
          client_id: "gateway",
          client_secret: SECRET,
          scopes: ["openid", "email", "profile", "groups"],
          jit_provisioning: true,
        },
        { headers: { authorization: `Bearer ${adminToken}` } },
      ),
    );
    if (response.status !== 201)
      throw new Error(`provider ${slug}: ${response.status} ${await response.text()}`);
  }
  browser = await launchBrowser();
  callback = callbackServer();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  callback?.close();
  await gw?.close();
  await corp?.close();
  await partner?.close();
  await backend?.close();
});

async function connectAs(person: UpstreamPerson) {
  const context = await browser.newContext();
  const provider = new UpstreamBrowserOAuthProvider(context, callback, person);
  const url = new URL(`${gw.url}/mcp/alpha`);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const refused = await within("connect before sign-in", newMcpClient().connect(first)).catch((e) => e);
  expect(refused).toBeInstanceOf(UnauthorizedError);
  const code = await within("upstream sign-in in Chromium", provider.pendingCode as Promise<string>, 40_000);
  await within("token exchange", first.finishAuth(code));
  const client = newMcpClient();
  await within(
    "connect with the token",
    client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider })),
  );
  return { client, provider, context };
}

test("two people, each through another provider: SDK client → upstream login in Chromium → gateway consent → tools/list with the upstream identity at the backend", async () => {
  const people: [UpstreamPerson, Record<string, string>][] = [
    [
      { provider: "corp", login: "ada", password: "any" },
      { provider: "corp", subject: "ada", email: "ada@corp.example", groups: '["eng","staff"]' },
    ],
    [
      { provider: "partner", login: "bo", password: "any" },
      { provider: "partner", subject: "bo", email: "bo@partner.example", groups: '["ops"]' },
    ],
  ];
  for (const [person, expected] of people) {
    const { client, provider, context } = await connectAs(person);
    // The upstream login did not skip the gateway's own consent.
    expect(provider.consentShown).toBe(true);
    expect(
      provider.visited.some((u) =>
        u.startsWith(`${person.provider === "corp" ? corp.issuer : partner.issuer}/`),
      ),
    ).toBe(true);
    const before = backend.received.length;
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain("echo");
    const listed = backend.received
      .slice(before)
      .find((r) => JSON.stringify(r.body ?? null).includes("tools/list"));
    expect(listed?.headers["x-user-provider"]).toBe(expected.provider);
    expect(listed?.headers["x-user-upstream-subject"]).toBe(expected.subject);
    expect(listed?.headers["x-user-upstream-email"]).toBe(expected.email);
    expect(listed?.headers["x-user-email"]).toBe(expected.email);
    expect(listed?.headers["x-user-groups"]).toBe(expected.groups);
    await client.close();
    await context.close();
  }
  // Two users were created just in time, one per provider.
  const emails = gw.ctx.users.list().map((u) => u.email);
  expect(emails).toEqual(expect.arrayContaining(["ada@corp.example", "bo@partner.example"]));
}, 120_000);
