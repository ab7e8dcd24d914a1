import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { createUser, jsonInit, login, type TestGateway, tempDir, testGateway } from "../support/context.ts";
import { authorizeQuery, browserUser, pkcePair, REDIRECT } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

const PUBLIC = "https://gw.example.test";

/** URIs no client receives an authorization response at: browser, system and protocol schemes, hidden characters. */
const REFUSED = [
  "view-source:https://gw.example.test/cb",
  "chrome://settings/passwords",
  "chrome-extension://abcdefghijklmnop/cb",
  "ms-settings:privacy",
  "mailto:attacker@example.com",
  "tel:+15555550100",
  "about:blank",
  "blob:https://gw.example.test/0d0c",
  "file:///etc/passwd",
  "data:text/html,hi",
  "javascript:alert(1)",
  "https://app.example.com/cb\n",
  "http://127.0.0.1:4567/callback\r\n",
  "https://app.example.com/c\tb",
  "https://app.example.com/cb ",
  " https://app.example.com/cb",
  "cursor://anysphere.cursor-retrieval/oauth\u0000",
  "https://app.example.com\\@evil.example/cb",
  "https://evil.example/\u202e/moc.elpmaxe.ppa",
];
/** Private-use schemes of desktop apps (RFC 8252 §7.1) and the usual web forms stay accepted. */
const ACCEPTED = [
  "cursor://anysphere.cursor-retrieval/oauth/user-mcp/callback",
  "vscode://vscode.github-authentication/did-authenticate",
  "com.example.app:/oauth2redirect",
  "https://app.example.com/cb?x=1",
  "http://localhost:33418/callback",
  "http://[::1]/callback",
];

let gw: TestGateway;
afterEach(async () => {
  await gw?.close();
});

async function registerWith(redirectUri: string, init: RequestInit = {}) {
  return gw.request(
    "/oauth/register",
    jsonInit({ client_name: "x", redirect_uris: [redirectUri], token_endpoint_auth_method: "none" }, init),
  );
}

describe("redirect URIs refused at registration", () => {
  test.each(REFUSED)("DCR refuses %j with invalid_redirect_uri", async (uri) => {
    gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
    const res = await registerWith(uri);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_redirect_uri");
    expect(gw.ctx.db.$client.query("select count(*) as n from oauth_clients").get()).toEqual({ n: 0 });
  });

  test.each(ACCEPTED)("DCR accepts %j", async (uri) => {
    gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
    const res = await registerWith(uri);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { redirect_uris: string[] }).redirect_uris).toEqual([uri]);
  });

  test("the admin API refuses them too", async () => {
    gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
    await createUser(gw, "root", { isAdmin: true });
    const admin = (await login(gw, "root")).access_token;
    for (const uri of ["view-source:https://gw.example.test/cb", "https://app.example.com/cb\n"]) {
      const res = await gw.request(
        "/admin/api/oauth-clients",
        jsonInit(
          { client_name: "Pre", redirect_uris: [uri] },
          { headers: { authorization: `Bearer ${admin}` } },
        ),
      );
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_redirect_uri");
    }
  });

  test("config-file clients with such URIs are skipped with a logged problem", async () => {
    const dir = tempDir();
    try {
      const file = join(dir, "config.yaml");
      writeFileSync(
        file,
        `oauth_clients:\n  mailer:\n    client_name: Mailer\n    redirect_uris: ["mailto:a@example.com"]\n  newline:\n    client_name: Newline\n    redirect_uris: ["https://app.example.com/cb\\n"]\n  good:\n    client_name: Good\n    redirect_uris: ["${REDIRECT}"]\n`,
      );
      gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC }, { configFile: file });
      const ids = (gw.ctx.db.$client.query("select id from oauth_clients").all() as { id: string }[]).map(
        (r) => r.id,
      );
      expect(ids).toEqual(["good"]);
      const logs = gw.logs.join("\n");
      expect(logs).toContain("oauth_clients.mailer");
      expect(logs).toContain("oauth_clients.newline");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("client ID metadata documents with such redirect URIs", () => {
  let docs: ReturnType<typeof Bun.serve>;
  let base: string;
  beforeAll(() => {
    docs = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        const path = new URL(request.url).pathname;
        const uri = path === "/view-source.json" ? `view-source:${REDIRECT}` : `${REDIRECT}\n`;
        return Response.json({
          client_id: `${base}${path}`,
          client_name: "Doc",
          redirect_uris: [REDIRECT, uri],
        });
      },
    });
    base = `http://127.0.0.1:${docs.port}`;
  });
  afterAll(() => docs.stop(true));

  test.each(["/view-source.json", "/newline.json"])("%s is refused (a page, no redirect)", async (path) => {
    gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC, OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}` });
    const session = await browserUser(gw);
    const { challenge } = await pkcePair();
    const res = await gw.request(
      authorizeQuery({
        response_type: "code",
        client_id: `${base}${path}`,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
      { headers: { cookie: session.cookie } },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });
});

describe("registration with an initial access token (RFC 7591 §3.1)", () => {
  const TOKEN = "k3y-for-my-own-tools_0123456789abcdef";
  const HASH = new Bun.CryptoHasher("sha256").update(TOKEN).digest("hex");
  let lgw: ListeningGateway;
  afterEach(async () => {
    await lgw?.close();
  });

  const post = (headers: Record<string, string>) =>
    fetch(`${lgw.url}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({
        client_name: "Mine",
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "none",
      }),
    });

  test("without it 401 + WWW-Authenticate: Bearer; a wrong one 401 invalid_token; the right one registers", async () => {
    lgw = await listeningGateway({ OAUTH_REGISTRATION_TOKEN_SHA256: HASH.toUpperCase() });
    const count = () => lgw.ctx.db.$client.query("select count(*) as n from oauth_clients").get();

    const bare = await post({});
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(bare.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const bareBody = (await bare.json()) as { error: string; error_description: string };
    expect(bareBody.error).toBe("invalid_token");
    expect(bareBody.error_description).toBeString();

    const wrong = await post({ authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const basic = await post({ authorization: `Basic ${btoa(`a:${TOKEN}`)}` });
    expect(basic.status).toBe(401);
    expect(count()).toEqual({ n: 0 });

    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { client_id: string }).client_id).toBeString();
    expect(count()).toEqual({ n: 1 });

    // Nothing secret is advertised.
    const metadata = await (await fetch(`${lgw.url}/.well-known/oauth-authorization-server`)).text();
    expect(metadata).not.toContain(HASH);
    expect(metadata.toLowerCase()).not.toContain(HASH.toLowerCase());
    expect(metadata).not.toContain(TOKEN);
  });

  test("without the setting registration stays open", async () => {
    lgw = await listeningGateway();
    expect((await post({})).status).toBe(201);
  });

  test("a malformed hash is a configuration error, not a silently open endpoint", () => {
    expect(() => loadConfig({ env: { OAUTH_REGISTRATION_TOKEN_SHA256: "not-a-hash" }, cwd: "/" })).toThrow(
      ConfigError,
    );
  });
});
