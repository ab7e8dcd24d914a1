import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { createUser, jsonInit, type TestGateway, tempDir, testGateway } from "../support/context.ts";
import { browserUser, form, obtainCode, pkcePair, REDIRECT } from "../support/oauth-helpers.ts";

const SECRET = "s".repeat(40);
let gw: TestGateway | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("oauth_clients from the config file are pre-registered (secret hashed) and usable", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    `oauth_clients:\n  my-app:\n    client_name: My App\n    redirect_uris: ["${REDIRECT}"]\n    client_secret: \${APP_SECRET}\n  bad-app:\n    client_name: Bad\n    redirect_uris: ["http://evil.example/cb"]\n`,
  );
  gw = await testGateway(
    { MCP_PUBLIC_URL: "https://gw.example.test", APP_SECRET: SECRET },
    { configFile: file },
  );
  const rows = JSON.stringify(gw.ctx.db.$client.query("select * from oauth_clients").all());
  expect(rows).toContain("my-app");
  expect(rows).not.toContain(SECRET);
  expect(rows).not.toContain("bad-app");
  expect(gw.logs.join("\n")).toContain("oauth_clients.bad-app");
  const session = await browserUser(gw);
  const pkce = await pkcePair();
  const { code } = await obtainCode(gw, session, { client_id: "my-app", code_challenge: pkce.challenge });
  const basic = `Basic ${Buffer.from(`my-app:${SECRET}`).toString("base64")}`;
  const res = await gw.request(
    "/oauth/token",
    form(
      { grant_type: "authorization_code", code, code_verifier: pkce.verifier, redirect_uri: REDIRECT },
      { authorization: basic },
    ),
  );
  expect(res.status).toBe(200);
});

test("malformed oauth_clients entries are configuration errors", () => {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    "oauth_clients:\n  my-app:\n    client_name: X\n    redirect_uris: []\n    client_secret: short\n",
  );
  expect(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: file } })).toThrow(ConfigError);
});

test("client_credentials: a config client with a service_user gets access tokens acting as that user", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    `oauth_clients:\n  robot:\n    client_name: Robot\n    client_secret: ${SECRET}\n    grant_types: [client_credentials]\n    service_user: svc\n`,
  );
  const PUBLIC = "https://gw.example.test";
  gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC }, { configFile: file });
  gw.ctx.resources.addServerLookup((n) => n === "alpha");
  const basic = (secret: string) => ({ authorization: `Basic ${btoa(`robot:${secret}`)}` });
  const grant = (fields: Record<string, string>, headers: Record<string, string> = basic(SECRET)) =>
    gw?.request(
      "/oauth/token",
      form({ grant_type: "client_credentials", ...fields }, headers),
    ) as Promise<Response>;

  // The service user does not exist yet.
  expect(((await (await grant({})).json()) as { error: string }).error).toBe("unauthorized_client");
  const svc = await createUser(gw, "svc");
  const res = await grant({ resource: `${PUBLIC}/mcp/alpha` });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = (await res.json()) as { access_token: string; refresh_token?: string; scope: string };
  expect(body.refresh_token).toBeUndefined();
  expect(body.scope).toBe("mcp");
  const checked = await gw.ctx.bearer.authenticate(`Bearer ${body.access_token}`, `${PUBLIC}/mcp/alpha`);
  expect(checked.ok && checked.claims.sub === svc.id && checked.claims.client_id === "robot").toBe(true);
  expect((await gw.ctx.bearer.authenticate(`Bearer ${body.access_token}`, `${PUBLIC}/mcp`)).ok).toBe(false);

  expect((await grant({}, basic("wrong".repeat(8)))).status).toBe(401);
  expect((await grant({ client_id: "robot", client_secret: SECRET }, {})).status).toBe(401);
  expect(((await (await grant({ resource: `${PUBLIC}/mcp/nope` })).json()) as { error: string }).error).toBe(
    "invalid_target",
  );
  expect(((await (await grant({ scope: "admin" })).json()) as { error: string }).error).toBe("invalid_scope");
  const code = await grant({ grant_type: "authorization_code", code: "x", code_verifier: "v".repeat(43) });
  expect(((await code.json()) as { error: string }).error).toBe("unauthorized_client");

  gw.ctx.users.update(svc.id, { isActive: false });
  expect(((await (await grant({})).json()) as { error: string }).error).toBe("unauthorized_client");
  expect((await gw.ctx.bearer.authenticate(`Bearer ${body.access_token}`, `${PUBLIC}/mcp/alpha`)).ok).toBe(
    false,
  );

  // Dynamic registration cannot ask for it: there would be no user behind its tokens.
  const dcr = await gw.request(
    "/oauth/register",
    jsonInit({
      redirect_uris: [REDIRECT],
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_basic",
    }),
  );
  expect(dcr.status).toBe(400);
});

test.each([
  `grant_types: [client_credentials]\n    client_secret: ${SECRET}`,
  "grant_types: [client_credentials]\n    service_user: svc",
  `service_user: svc\n    client_secret: ${SECRET}\n    redirect_uris: [http://127.0.0.1/cb]`,
  "token_endpoint_auth_method: client_secret_post\n    redirect_uris: [http://127.0.0.1/cb]",
  "redirect_uris: []",
])("inconsistent oauth_clients entry is a configuration error: %s", (entry) => {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, "config.yaml");
  writeFileSync(file, `oauth_clients:\n  app:\n    client_name: X\n    ${entry}\n`);
  expect(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: file } })).toThrow(ConfigError);
});
