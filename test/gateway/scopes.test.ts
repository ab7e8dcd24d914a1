import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { McpBackend } from "../support/mcp-backend.ts";
import {
  authorizeQuery,
  browserUser,
  exchangeCode,
  obtainCode,
  pkcePair,
  registerClient,
} from "../support/oauth-helpers.ts";
import type { ListeningGateway } from "../support/server.ts";
import { createServer, type GatewayWithUsers, gatewayWithUsers, INITIALIZE, postMessage } from "./helpers.ts";

let stage: GatewayWithUsers;
let gateway: ListeningGateway;
let backend: McpBackend;
let setup: GatewayWithUsers["setup"];

beforeEach(async () => {
  stage = await gatewayWithUsers();
  ({ gateway, backend, setup } = stage);
  await createServer(gateway, setup.adminToken, {
    name: "notes",
    url: backend.url,
    open_to_all: true,
    scopes: ["notes:read"],
  });
});
afterEach(() => stage.close());

async function tokenWithScope(scope: string | undefined): Promise<string> {
  const client = await registerClient(gateway);
  const session = await browserUser(gateway, "alice");
  const { verifier, challenge } = await pkcePair();
  const resource = `${gateway.url}/mcp/notes`;
  const { code } = await obtainCode(gateway, session, {
    client_id: client.client_id,
    code_challenge: challenge,
    resource,
    scope,
  });
  const response = await exchangeCode(gateway, client.client_id, code, verifier, { resource });
  const body = (await response.json()) as { access_token: string; scope: string };
  return body.access_token;
}

describe("scopes a backend server declares", () => {
  test("its metadata and 401 challenge list them with mcp", async () => {
    const prm = await fetch(`${gateway.url}/.well-known/oauth-protected-resource/mcp/notes`);
    expect(((await prm.json()) as { scopes_supported: string[] }).scopes_supported.sort()).toEqual([
      "mcp",
      "notes:read",
    ]);
    const anonymous = await postMessage(`${gateway.url}/mcp/notes`, INITIALIZE);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain('scope="mcp notes:read"');
  });

  test("a token without them → 403 insufficient_scope naming every scope needed; with them → served", async () => {
    const narrow = await tokenWithScope("mcp");
    const refused = await postMessage(`${gateway.url}/mcp/notes`, INITIALIZE, {
      authorization: `Bearer ${narrow}`,
    });
    expect(refused.status).toBe(403);
    const challenge = refused.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="mcp notes:read"');
    expect(challenge).toContain("resource_metadata=");
    expect(backend.received.length).toBe(0);

    const full = await tokenWithScope(undefined);
    const served = await postMessage(`${gateway.url}/mcp/notes`, INITIALIZE, {
      authorization: `Bearer ${full}`,
    });
    expect(served.status).toBe(200);
    await served.body?.cancel();
  });

  test("a scope the resource does not declare is refused at authorize (invalid_scope)", async () => {
    const client = await registerClient(gateway);
    const session = await browserUser(gateway, "alice");
    const { challenge } = await pkcePair();
    const response = await gateway.request(
      authorizeQuery({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: "http://127.0.0.1:4567/callback",
        code_challenge: challenge,
        code_challenge_method: "S256",
        resource: `${gateway.url}/mcp/notes`,
        scope: "mcp notes:admin",
      }),
      { headers: { cookie: session.cookie } },
    );
    // The person has not approved this client yet: the error is shown, not redirected (issue 11).
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("unknown scope for this resource");
  });

  test("a client may register for a scope some server declares, not for one nobody declares", async () => {
    const known = await registerClient(gateway, { scope: "mcp notes:read" });
    expect(known.client_id).toBeString();
    const unknown = await gateway.request("/oauth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "x",
        redirect_uris: ["http://127.0.0.1:4567/callback"],
        token_endpoint_auth_method: "none",
        scope: "mcp notes:admin",
      }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toBe("invalid_client_metadata");
  });
});
