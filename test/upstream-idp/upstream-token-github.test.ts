import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { createServer, sdkClient } from "../gateway/helpers.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, jsonInit, login, tempDir } from "../support/context.ts";
import { type GitHubPerson, type GitHubStandIn, startGitHubStandIn } from "../support/github-standin.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

// The user's own upstream token from a provider of the config file (oauth_providers with
// keep_tokens), GitHub here: a GitHub App's user tokens expire after 8 hours and come with a
// refresh token (documented shapes: expires_in, refresh_token, refresh_token_expires_in; a bad
// refresh token is a 200 with {"error": "bad_refresh_token"}).

const CLIENT = { clientId: "Iv1.gatewayclient", clientSecret: "github-client-secret-0123456789" };
/** GitHub's is 28800 (8 hours); shorter here so the gateway's own access token outlives it. */
const EXPIRES_IN = 600;

const OCTO: GitHubPerson = {
  id: 583231,
  login: "octocat",
  name: "The Octocat",
  emails: [{ email: "octo@example.test", primary: true, verified: true, visibility: "private" }],
};

let github: GitHubStandIn;
let front: ReturnType<typeof Bun.serve>;
let frontUrl: string;
let backend: McpBackend;
let gw: ListeningGateway;
/** Refresh tokens the stand-in still honours, and the grants it answered. */
const liveRefreshTokens = new Set<string>();
const grants: string[] = [];

/**
 * GitHub App user tokens in front of the OAuth stand-in: the code exchange is the stand-in's,
 * with an expiry and a refresh token added; refresh_token grants are answered here.
 */
function startGitHubAppTokens() {
  let issued = 0;
  const fresh = () => {
    issued++;
    const refresh = `ghr_refresh${issued}`;
    liveRefreshTokens.add(refresh);
    return {
      access_token: `ghu_access${issued}`,
      expires_in: EXPIRES_IN,
      refresh_token: refresh,
      refresh_token_expires_in: 15897600,
      scope: "",
      token_type: "bearer",
    };
  };
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url);
      const body = request.method === "POST" ? await request.text() : undefined;
      const form = new URLSearchParams(body ?? "");
      if (url.pathname === "/login/oauth/access_token") {
        grants.push(form.get("grant_type") ?? "");
        if (form.get("grant_type") === "refresh_token") {
          const known = liveRefreshTokens.delete(form.get("refresh_token") ?? "");
          if (!known || form.get("client_secret") !== CLIENT.clientSecret)
            return Response.json({
              error: "bad_refresh_token",
              error_description: "The refresh token passed is incorrect or expired.",
            });
          return Response.json(fresh());
        }
      }
      const answer = await fetch(`${github.base}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body,
      });
      if (url.pathname !== "/login/oauth/access_token") return answer;
      const json = (await answer.json()) as Record<string, unknown>;
      // The stand-in's own token stays the one its REST API knows; the person's backend token is ours.
      return Response.json(json.access_token ? { ...fresh(), access_token: json.access_token } : json);
    },
  });
}

beforeAll(async () => {
  github = startGitHubStandIn(CLIENT);
  front = startGitHubAppTokens();
  frontUrl = `http://127.0.0.1:${front.port}`;
  backend = await startMcpBackend();
  const dir = tempDir();
  writeFileSync(
    join(dir, "gw.yaml"),
    [
      "oauth_providers:",
      "  github:",
      "    type: github",
      `    base_url: ${frontUrl}`,
      `    api_url: ${frontUrl}`,
      `    client_id: ${CLIENT.clientId}`,
      `    client_secret: ${CLIENT.clientSecret}`,
      "    link_by_verified_email: true",
      "    keep_tokens: true",
      "    token_scopes: [repo]",
    ].join("\n"),
  );
  gw = await listeningGateway({}, { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) });
});

afterAll(async () => {
  await gw.close();
  front.stop(true);
  github.close();
  await backend.close();
});

/** Signs in with GitHub as the person; returns the authorization URL the gateway sent them to. */
async function signIn(person: GitHubPerson): Promise<URL> {
  const started = await gw.request("/login/upstream/github?return_to=%2F");
  expect(started.status).toBe(303);
  const location = new URL(started.headers.get("location") as string);
  const cookie = started.headers.getSetCookie()[0]?.split(";")[0] as string;
  const back = github.authorize(`${github.base}${location.pathname}${location.search}`, person);
  const done = await gw.request(`${back.pathname}${back.search}`, { headers: { cookie } });
  expect(done.status).toBe(303);
  return location;
}

const lastAuthorization = () =>
  String(backend.received.filter((r) => r.method === "POST").at(-1)?.headers.authorization ?? "");

describe("upstream_user_token with GitHub from the config file", () => {
  test("token_scopes are asked at sign-in; the backend gets the person's GitHub token, refreshed when due; a refused refresh token asks to sign in again", async () => {
    const root = await createUser(gw, "root", { isAdmin: true });
    const adminToken = (await login(gw, root.username)).access_token;
    await createServer(gw, adminToken, {
      name: "gh",
      url: backend.url,
      open_to_all: true,
      credential: { type: "upstream_user_token", provider: "github" },
    });
    await createUser(gw, "octo");
    const authorization = await signIn(OCTO);
    expect(authorization.searchParams.get("scope")).toBe("read:user user:email repo");

    const token = (await login(gw, "octo", { resource: `${gw.url}/mcp/gh` })).access_token;
    const { client } = await sdkClient(`${gw.url}/mcp/gh`, token);
    await client.callTool({ name: "echo", arguments: { text: "hi" } });
    const first = lastAuthorization();
    expect(first).toMatch(/^Bearer gho_/); // the token GitHub gave at sign-in
    expect(grants).toEqual(["authorization_code"]);

    gw.clock.advance((EXPIRES_IN - 30) * 1000);
    await client.callTool({ name: "echo", arguments: { text: "later" } });
    expect(grants).toEqual(["authorization_code", "refresh_token"]);
    expect(lastAuthorization()).toMatch(/^Bearer ghu_access\d+$/);
    expect(lastAuthorization()).not.toBe(first);

    liveRefreshTokens.clear(); // the person revoked the app at GitHub
    gw.clock.advance(EXPIRES_IN * 1000);
    const failed = await client.callTool({ name: "echo", arguments: { text: "x" } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).message).toContain(
      `Sign in again with github at ${gw.url}/login/upstream/github`,
    );
    await client.close();
  });

  test("a health check (no person, so no token) of a backend that answers 401 leaves it online; with a shared credential 401 is offline", async () => {
    const adminToken = (await login(gw, "root")).access_token;
    const refusing = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ error: "unauthorized" }, { status: 401 }),
    });
    try {
      const url = `http://127.0.0.1:${refusing.port}/mcp`;
      const perPerson = await createServer(gw, adminToken, {
        name: "per-person",
        url,
        credential: { type: "upstream_user_token", provider: "github" },
      });
      const shared = await createServer(gw, adminToken, {
        name: "shared",
        url,
        credential: { type: "bearer", token: "wrong" },
      });
      await gw.app.decorator.gateway.health.checkAll();
      const health = gw.app.decorator.gateway.health;
      expect(health.get(perPerson.id)).toMatchObject({ status: "online", lastError: "HTTP 401" });
      expect(health.get(shared.id)).toMatchObject({ status: "offline", lastError: "HTTP 401" });
    } finally {
      refusing.stop(true);
    }
  });

  test("the admin API refuses token_scopes without keep_tokens, and upstream_user_token on a server without auth", async () => {
    const adminToken = (await login(gw, "root")).access_token;
    const auth = { headers: { authorization: `Bearer ${adminToken}` } };
    const provider = await gw.request(
      "/admin/api/identity-providers",
      jsonInit({ slug: "other", type: "github", client_id: "x", token_scopes: ["repo"] }, auth),
    );
    expect(provider.status).toBe(400);
    expect(await provider.text()).toContain("token_scopes");
    const server = await gw.request(
      "/admin/api/mcp-servers",
      jsonInit(
        {
          name: "anon",
          url: backend.url,
          auth_required: false,
          credential: { type: "upstream_user_token", provider: "github" },
        },
        auth,
      ),
    );
    expect(server.status).toBe(400);
    expect(await server.text()).toContain("upstream_user_token needs auth_required");
  });
});
