import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { type TestGateway, tempDir, testGateway } from "../support/context.ts";
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
