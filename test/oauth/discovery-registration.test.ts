import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { jsonInit, type TestGateway, testGateway } from "../support/context.ts";
import { REDIRECT, registerClient } from "../support/oauth-helpers.ts";

let gw: TestGateway;
beforeEach(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: "https://gw.example.test" });
  gw.ctx.resources.addServerLookup((n) => n === "alpha");
});
afterEach(() => gw.close());

describe("discovery", () => {
  test("authorization server metadata (RFC 8414) and openid-configuration", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const res = await gw.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("cache-control")).toContain("max-age");
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.issuer).toBe("https://gw.example.test");
      expect(doc.authorization_endpoint).toBe("https://gw.example.test/oauth/authorize");
      expect(doc.token_endpoint).toBe("https://gw.example.test/oauth/token");
      expect(doc.registration_endpoint).toBe("https://gw.example.test/oauth/register");
      expect(doc.revocation_endpoint).toBe("https://gw.example.test/oauth/revoke");
      expect(doc.introspection_endpoint).toBe("https://gw.example.test/oauth/introspect");
      expect(doc.jwks_uri).toBe("https://gw.example.test/.well-known/jwks.json");
      expect(doc.response_types_supported).toEqual(["code"]);
      expect(doc.code_challenge_methods_supported).toEqual(["S256"]);
      expect(doc.token_endpoint_auth_methods_supported).toEqual([
        "none",
        "client_secret_basic",
        "client_secret_post",
      ]);
      expect(doc.scopes_supported).toEqual(["mcp"]);
      expect(doc.client_id_metadata_document_supported).toBe(true);
      expect(doc.authorization_response_iss_parameter_supported).toBe(true);
      if (path.endsWith("openid-configuration")) {
        expect(doc.subject_types_supported).toEqual(["public"]);
        expect(Array.isArray(doc.id_token_signing_alg_values_supported)).toBe(true);
      }
    }
  });

  test("protected resource metadata for root, /mcp and /mcp/{server}; unknown server 404", async () => {
    const cases: [string, string][] = [
      ["/.well-known/oauth-protected-resource", "https://gw.example.test/mcp"],
      ["/.well-known/oauth-protected-resource/mcp", "https://gw.example.test/mcp"],
      ["/.well-known/oauth-protected-resource/mcp/alpha", "https://gw.example.test/mcp/alpha"],
    ];
    for (const [path, resource] of cases) {
      const res = await gw.request(path);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Record<string, unknown>;
      expect(doc.resource).toBe(resource);
      expect(doc.authorization_servers).toEqual(["https://gw.example.test"]);
      expect(doc.scopes_supported).toEqual(["mcp"]);
      expect(doc.bearer_methods_supported).toEqual(["header"]);
    }
    expect((await gw.request("/.well-known/oauth-protected-resource/mcp/nope")).status).toBe(404);
    expect((await gw.request("/.well-known/oauth-protected-resource/mcp/..%2Fadmin")).status).toBe(404);
  });

  test("CORS preflight on discovery and token endpoints", async () => {
    for (const path of [
      "/.well-known/oauth-authorization-server",
      "/oauth/token",
      "/oauth/register",
      "/oauth/revoke",
    ]) {
      const res = await gw.request(path, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:6274", "access-control-request-method": "POST" },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    }
  });
});

describe("dynamic client registration", () => {
  test("public client: client_id and issued_at, no secret", async () => {
    const res = await gw.request(
      "/oauth/register",
      jsonInit({ client_name: "Inspector", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(typeof body.client_id).toBe("string");
    expect(typeof body.client_id_issued_at).toBe("number");
    expect(body.client_secret).toBeUndefined();
    expect(body.redirect_uris).toEqual([REDIRECT]);
  });

  test("confidential client gets a secret, stored only hashed", async () => {
    const reg = await registerClient(gw, { token_endpoint_auth_method: "client_secret_basic" });
    expect(reg.client_secret?.length).toBeGreaterThan(30);
    const rows = gw.ctx.db.$client.query("select * from oauth_clients").all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(reg.client_secret as string);
  });

  test.each([
    [{ redirect_uris: ["http://evil.example/cb"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["https://ok.example/cb#frag"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri"],
    [{ redirect_uris: ["not a url"] }, "invalid_redirect_uri"],
    [{ redirect_uris: "https://ok.example/cb" }, "invalid_redirect_uri"],
    [{ redirect_uris: [] }, "invalid_redirect_uri"],
    [{ grant_types: ["authorization_code"], response_types: ["token"] }, "invalid_client_metadata"],
    [{ grant_types: ["implicit"] }, "invalid_client_metadata"],
    [{ grant_types: ["client_credentials"], token_endpoint_auth_method: "none" }, "invalid_client_metadata"],
    [{ token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
    [{ client_name: "x".repeat(500) }, "invalid_client_metadata"],
    [{ scope: "admin" }, "invalid_client_metadata"],
    [{ redirect_uris: ["x:"] }, "invalid_redirect_uri"],
    [{ client_name: "Good App\u202egnp.exe" }, "invalid_client_metadata"],
    [{ client_name: "Good\u0000App" }, "invalid_client_metadata"],
    [
      {
        grant_types: ["client_credentials"],
        response_types: [],
        token_endpoint_auth_method: "client_secret_basic",
      },
      "invalid_client_metadata",
    ],
  ])("refuses %j", async (metadata, error) => {
    const before = gw.ctx.db.$client.query("select count(*) as n from oauth_clients").get();
    const res = await gw.request(
      "/oauth/register",
      jsonInit({
        client_name: "x",
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: "none",
        ...metadata,
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(error);
    expect(gw.ctx.db.$client.query("select count(*) as n from oauth_clients").get()).toEqual(before);
  });

  test("malformed, non-JSON and oversized bodies", async () => {
    const bad = await gw.request("/oauth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    const notJson = await gw.request("/oauth/register", {
      method: "POST",
      body: "a=b",
      headers: { "content-type": "text/plain" },
    });
    expect(notJson.status).toBe(415);
    const array = await gw.request("/oauth/register", jsonInit([1, 2]));
    expect(array.status).toBe(400);
    const huge = await gw.request(
      "/oauth/register",
      jsonInit({ client_name: "x".repeat(2_000_000), redirect_uris: [REDIRECT] }),
    );
    expect(huge.status).toBe(413);
  });

  test("rate limited per IP", async () => {
    // Separation by address is tested through a listening gateway in test/ratelimit/.
    const g = await testGateway({ RATE_LIMIT_CLIENT_REGISTRATION_MAX: "2" });
    try {
      const call = () =>
        g.request(
          "/oauth/register",
          jsonInit({ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }),
        );
      expect((await call()).status).toBe(201);
      expect((await call()).status).toBe(201);
      const limited = await call();
      expect(limited.status).toBe(429);
      expect(((await limited.json()) as { error: string }).error).toBe("too_many_requests");
      expect(limited.headers.get("retry-after")).not.toBeNull();
      expect(limited.headers.get("ratelimit-policy")).toBe('"client_registration";q=2;w=60');
      g.clock.advance(120_000);
      expect((await call()).status).toBe(201);
    } finally {
      await g.close();
    }
  });

  test("registration mode none refuses and hides the endpoint", async () => {
    const g = await testGateway({ OAUTH_REGISTRATION_MODE: "none" });
    try {
      const res = await g.request("/oauth/register", jsonInit({ redirect_uris: [REDIRECT] }));
      expect(res.status).toBe(403);
      const doc = (await (await g.request("/.well-known/oauth-authorization-server")).json()) as Record<
        string,
        unknown
      >;
      expect(doc.registration_endpoint).toBeUndefined();
    } finally {
      await g.close();
    }
  });
});
