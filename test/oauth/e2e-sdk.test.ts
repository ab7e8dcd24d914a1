import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createServer, INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { selfSignedCert } from "../support/browser-oauth.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, login, STRONG_PASSWORD } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { MemoryOAuthProvider } from "../support/oauth-provider.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const REDIRECT = "http://127.0.0.1:1/sdk-callback";

/** An in-memory OAuthClientProvider: records the authorization URL instead of opening a browser. */
class MemoryProvider extends MemoryOAuthProvider {
  protected readonly clientName = "SDK e2e";
  authorizationUrl?: URL;
  constructor(readonly clientMetadataUrl?: string) {
    super();
  }
  get redirectUrl() {
    return REDIRECT;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
}

/** A cookie-keeping HTTP client playing the person's browser: log in, approve, return the code. */
async function personApproves(gw: ListeningGateway, authorizationUrl: URL): Promise<string> {
  const cookies = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    if (init.method === "POST") {
      headers.set("origin", gw.url);
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const res = await fetch(new URL(url, gw.url), { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ""] = c.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };
  const hidden = (html: string) => {
    const out: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      out[m[1] as string] = (m[2] as string).replace(/&amp;/g, "&").replace(/&quot;/g, '"');
    }
    return out;
  };
  const first = await go(authorizationUrl.toString());
  expect(first.status).toBe(303);
  const loginPage = await go(first.headers.get("location") as string);
  const loggedIn = await go("/login", {
    method: "POST",
    body: new URLSearchParams({
      ...hidden(await loginPage.text()),
      username: "alice",
      password: STRONG_PASSWORD,
    }),
  });
  expect(loggedIn.status).toBe(303);
  const consent = await go(loggedIn.headers.get("location") as string);
  expect(consent.status).toBe(200);
  const approved = await go("/oauth/authorize", {
    method: "POST",
    body: new URLSearchParams({ ...hidden(await consent.text()), decision: "approve" }),
  });
  expect(approved.status).toBe(303);
  const callback = new URL(approved.headers.get("location") as string);
  return callback.searchParams.get("code") as string;
}

let gw: ListeningGateway;
let backend: McpBackend;
let docs: ReturnType<typeof Bun.serve>;
/** A self-signed certificate for 127.0.0.1: the SDK only sends https metadata URLs. */
let cert: ReturnType<typeof selfSignedCert>;

beforeAll(async () => {
  cert = selfSignedCert();
  docs = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: cert.cert, key: cert.key },
    fetch: (request) => {
      const self = `https://127.0.0.1:${docs.port}/client.json`;
      if (new URL(request.url).pathname !== "/client.json") return new Response("no", { status: 404 });
      return Response.json({
        client_id: self,
        client_name: "SDK CIMD client",
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "none",
      });
    },
  });
  backend = await startMcpBackend();
  gw = await listeningGateway(
    { OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}`, OAUTH_CIMD_CA_FILE: cert.caFile },
    { clock: new FakeClock(Date.now()) },
  );
  await createUser(gw, "root", { isAdmin: true });
  await createUser(gw, "alice");
  const adminToken = (await login(gw, "root")).access_token;
  await createServer(gw, adminToken, { name: "alpha", url: backend.url, open_to_all: true });
  await createServer(gw, adminToken, {
    name: "scoped",
    url: backend.url,
    open_to_all: true,
    scopes: ["notes:read", "notes:write"],
  });
}, 30_000); // real servers, TLS and password hashing: slow on a loaded machine
afterAll(async () => {
  await gw.close();
  await backend.close();
  docs.stop(true);
  cert.dispose();
});

async function connectWithOAuth(provider: MemoryProvider, path = "/mcp/alpha") {
  const url = new URL(`${gw.url}${path}`);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const client = new Client({ name: "sdk-e2e", version: "1.0.0" });
  // 401 → discovery → registration (or CIMD) → redirect to authorize.
  await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(provider.authorizationUrl).toBeDefined();
  const authUrl = provider.authorizationUrl as URL;
  expect(authUrl.searchParams.get("resource")).toBe(`${gw.url}${path}`);
  const code = await personApproves(gw, authUrl);
  await first.finishAuth(code);
  expect(provider.saved?.access_token).toBeDefined();
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const connected = new Client({ name: "sdk-e2e", version: "1.0.0" });
  await connected.connect(transport);
  return { client: connected, transport };
}

describe("MCP SDK client with an OAuthClientProvider", () => {
  test("the alias /{server}/mcp has metadata of its own; the SDK logs in there and the token is for the same resource", async () => {
    const provider = new MemoryProvider();
    const { client } = await connectWithOAuth(provider, "/alpha/mcp");
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    const token = provider.saved?.access_token as string;
    const claims = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as {
      aud: string;
    };
    expect(claims.aud).toBe(`${gw.url}/mcp/alpha`);
    const canonical = await postMessage(`${gw.url}/mcp/alpha`, INITIALIZE, {
      authorization: `Bearer ${token}`,
    });
    expect(canonical.status).toBe(200);
    await canonical.body?.cancel();
    const prm = (await (await fetch(`${gw.url}/.well-known/oauth-protected-resource/alpha/mcp`)).json()) as {
      resource: string;
    };
    expect(prm.resource).toBe(`${gw.url}/alpha/mcp`);
    expect((await fetch(`${gw.url}/.well-known/oauth-protected-resource/nope/mcp`)).status).toBe(404);
  });

  test("a server declaring its own scopes: the challenge names them, the SDK asks for them and gets in", async () => {
    const provider = new MemoryProvider();
    const { client } = await connectWithOAuth(provider, "/mcp/scoped");
    expect(provider.authorizationUrl?.searchParams.get("scope")?.split(" ").sort()).toEqual([
      "mcp",
      "notes:read",
      "notes:write",
    ]);
    expect(provider.saved?.scope?.split(" ").sort()).toEqual(["mcp", "notes:read", "notes:write"]);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  test("401 → discovery → DCR → authorize → token → MCP call; refresh after the access token expires", async () => {
    const provider = new MemoryProvider();
    const { client, transport } = await connectWithOAuth(provider);
    expect(provider.info?.client_id).toBeDefined();
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
    const before = provider.saved?.access_token;
    const refreshBefore = provider.saved?.refresh_token;
    gw.clock.advance((gw.ctx.config.accessTokenMinutes * 60 + gw.ctx.config.clockSkewSeconds + 5) * 1000);
    const again = await client.listTools();
    expect(again.tools.length).toBe(tools.tools.length);
    expect(provider.saved?.access_token).not.toBe(before);
    expect(provider.saved?.refresh_token).not.toBe(refreshBefore);
    await transport.close();
  });

  test("the same with a CIMD client whose metadata document is served on loopback", async () => {
    const provider = new MemoryProvider(`https://127.0.0.1:${docs.port}/client.json`);
    const { client, transport } = await connectWithOAuth(provider);
    expect(provider.info?.client_id).toBe(`https://127.0.0.1:${docs.port}/client.json`);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await transport.close();
  });
});
