import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { configId } from "../../src/gateway/registry.ts";
import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import { createServer, INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, jsonInit, login, tempDir } from "../support/context.ts";
import { type FakeOidc, type FakePerson, startFakeOidc } from "../support/fake-oidc.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { exchangeCode, obtainCode, pkcePair, registerClient } from "../support/oauth-helpers.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

// Per server, the providers whose users may use it: `identity_providers` of a config-file server,
// `PUT /admin/api/mcp-servers/{id}/identity-providers` for a server of the admin API.

const CLIENT = { clientId: "gw", clientSecret: "secret-at-both-providers" };
let corp: FakeOidc;
let partner: FakeOidc;
let backend: McpBackend;
let gw: ListeningGateway;
let adminToken: string;
let betaId: string;

beforeAll(async () => {
  corp = await startFakeOidc(CLIENT);
  partner = await startFakeOidc(CLIENT);
  backend = await startMcpBackend();
  const dir = tempDir();
  const provider = (slug: string, issuer: string) => [
    `  ${slug}:`,
    "    type: oidc",
    `    display_name: ${slug}`,
    `    issuer: ${issuer}`,
    `    client_id: ${CLIENT.clientId}`,
    `    client_secret: ${CLIENT.clientSecret}`,
    "    jit_provisioning: true",
  ];
  writeFileSync(
    join(dir, "gw.yaml"),
    [
      "oauth_providers:",
      ...provider("corp", corp.issuer),
      ...provider("partner", partner.issuer),
      "mcp_services:",
      "  alpha:",
      "    name: Alpha",
      `    url: ${backend.url}`,
      "    identity_providers: [corp]",
    ].join("\n"),
  );
  gw = await listeningGateway({}, { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) });
  await createUser(gw, "root", { isAdmin: true });
  adminToken = (await login(gw, "root")).access_token;
  betaId = (await createServer(gw, adminToken, { name: "beta", url: backend.url, open_to_all: true })).id;
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await backend?.close();
  corp?.close();
  partner?.close();
});

const admin = (init: RequestInit = {}) => ({
  ...init,
  headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string>) },
});

/** Signs in upstream, then runs the gateway's own authorize + consent + token for `server`. */
async function tokenThrough(
  idp: FakeOidc,
  slug: string,
  person: FakePerson,
  server: string,
): Promise<string> {
  const started = await gw.request(`/login/upstream/${slug}`);
  const binding = started.headers.getSetCookie()[0]?.split(";")[0] as string;
  const back = idp.authorize(started.headers.get("location") as string, person);
  const done = await gw.request(`${back.pathname}${back.search}`, { headers: { cookie: binding } });
  const name = sessionCookieName(gw.ctx.config.publicUrl);
  const cookieValue = done.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] as string)
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  const session = gw.ctx.browserSessions.resolve(cookieValue);
  if (!session) throw new Error(`no session after the upstream sign-in: ${done.status}`);
  const client = await registerClient(gw);
  const { verifier, challenge } = await pkcePair();
  const resource = `${gw.url}/mcp/${server}`;
  const { code } = await obtainCode(
    gw,
    { cookie: `${name}=${cookieValue}`, csrf: gw.ctx.browserSessions.csrfToken(session) },
    { client_id: client.client_id, code_challenge: challenge, resource },
  );
  const token = await exchangeCode(gw, client.client_id, code, verifier, { resource });
  return ((await token.json()) as { access_token: string }).access_token;
}

const initialize = async (server: string, token: string) =>
  (await postMessage(`${gw.url}/mcp/${server}`, INITIALIZE, { authorization: `Bearer ${token}` })).status;

const ADA: FakePerson = {
  sub: "ada",
  email: "ada@corp.example",
  email_verified: true,
  preferred_username: "ada",
};
const BO: FakePerson = {
  sub: "bo",
  email: "bo@partner.example",
  email_verified: true,
  preferred_username: "bobby",
};

test("a config server open only to one provider's users; an API server's list set, shown and removed", async () => {
  const { gateway } = gw.app.decorator;
  // alpha (config file) is not open to all: grant it to the two people once they exist.
  const adaAlpha = await tokenThrough(corp, "corp", ADA, "alpha");
  const boAlpha = await tokenThrough(partner, "partner", BO, "alpha");
  for (const username of ["ada", "bobby"])
    gateway.policy.grantUser(configId("alpha"), gw.ctx.users.byUsername(username)?.id as string);
  expect(gateway.registry.byId(configId("alpha"))?.name).toBe("alpha");
  expect(await initialize("alpha", adaAlpha)).toBe(200);
  expect(await initialize("alpha", boAlpha)).toBe(404);

  // beta (admin API): open to all; restricted to partner's users, then not restricted again.
  const adaBeta = await tokenThrough(corp, "corp", ADA, "beta");
  const boBeta = await tokenThrough(partner, "partner", BO, "beta");
  expect(await initialize("beta", adaBeta)).toBe(200);
  const put = await gw.request(
    `/admin/api/mcp-servers/${betaId}/identity-providers`,
    admin({ ...jsonInit({ identity_providers: ["partner"] }), method: "PUT" }),
  );
  expect(put.status).toBe(200);
  expect(
    await (await gw.request(`/admin/api/mcp-servers/${betaId}/identity-providers`, admin())).json(),
  ).toEqual({
    identity_providers: ["partner"],
  });
  expect(await initialize("beta", adaBeta)).toBe(404);
  expect(await initialize("beta", boBeta)).toBe(200);
  const removed = await gw.request(
    `/admin/api/mcp-servers/${betaId}/identity-providers`,
    admin({ method: "DELETE" }),
  );
  expect(removed.status).toBe(204);
  expect(await initialize("beta", adaBeta)).toBe(200);

  // The config file's list is read-only in the API; a bad body is a 400.
  const onConfig = await gw.request(
    `/admin/api/mcp-servers/${configId("alpha")}/identity-providers`,
    admin({ ...jsonInit({ identity_providers: ["partner"] }), method: "PUT" }),
  );
  expect(onConfig.status).toBe(409);
  const bad = await gw.request(
    `/admin/api/mcp-servers/${betaId}/identity-providers`,
    admin({ ...jsonInit({ identity_providers: [] }), method: "PUT" }),
  );
  expect(bad.status).toBe(400);
}, 60_000);
