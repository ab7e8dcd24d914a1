import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../support/clock.ts";
import { tempDir, testGateway } from "../support/context.ts";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.ts";
import { expectNoSecrets, only } from "./helpers.ts";

const CLIENT = { clientId: "gateway-client", clientSecret: "s3cret-of-the-gateway-at-corp" };
let idp: FakeOidc;
beforeAll(async () => {
  idp = await startFakeOidc(CLIENT);
});
afterAll(() => idp.close());

test("a sign-in through an upstream identity provider records login_success with the provider", async () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, "gw.yaml"),
    [
      "oauth_providers:",
      "  corp:",
      "    type: oidc",
      `    issuer: ${idp.issuer}`,
      `    client_id: ${CLIENT.clientId}`,
      `    client_secret: ${CLIENT.clientSecret}`,
      "    jit_provisioning: true",
    ].join("\n"),
  );
  const gw = await testGateway({}, { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) });
  try {
    const started = await gw.request("/login/upstream/corp?return_to=/admin/");
    expect(started.status).toBe(303);
    const binding = started.headers
      .getSetCookie()
      .map((h) => h.split(";")[0] as string)
      .find((pair) => pair.startsWith("authmcp_upstream="));
    const back = idp.authorize(started.headers.get("location") as string, {
      sub: "corp-alice",
      email: "alice@corp.example",
      email_verified: true,
      preferred_username: "alice",
    });
    const done = await gw.request(`${back.pathname}${back.search}`, {
      headers: { cookie: binding as string },
    });
    expect(done.status).toBe(303);
    const alice = gw.ctx.users.byUsername("alice");
    expect(only(gw, "login_success")).toMatchObject({
      userId: alice?.id,
      details: { via: "upstream", provider: "corp" },
    });
    const session = done.headers.getSetCookie().map((h) => h.split(";")[0]?.split("=")[1] as string);
    expectNoSecrets(gw, [CLIENT.clientSecret, back.searchParams.get("code") ?? undefined, ...session]);
  } finally {
    await gw.close();
  }
});
