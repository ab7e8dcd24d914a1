import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { toProfile } from "../../src/identity/upstream/oidc-client.ts";
import { providerEndpoints, providerScopes } from "../../src/identity/upstream/presets.ts";
import {
  type ProviderFieldsInput,
  providerFieldsSchema,
} from "../../src/identity/upstream/provider-schema.ts";
import { FakeClock } from "../support/clock.ts";
import { tempDir, testGateway } from "../support/context.ts";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.ts";

const fields = (input: Omit<ProviderFieldsInput, "client_id">) =>
  providerFieldsSchema.parse({ client_id: "gw", ...input });
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

describe("presets fill in the issuer (discovery) and the claim mapping", () => {
  test("each preset's issuer", () => {
    expect(providerEndpoints(fields({ type: "google" }))).toEqual({
      protocol: "oidc",
      issuer: "https://accounts.google.com",
      emailVerifiedClaim: "email_verified",
    });
    expect(providerEndpoints(fields({ type: "entra", tenant: TENANT }))).toEqual({
      protocol: "oidc",
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      emailVerifiedClaim: "xms_edov",
    });
    expect(providerEndpoints(fields({ type: "okta", domain: "acme.okta.com" }))).toMatchObject({
      issuer: "https://acme.okta.com",
    });
    expect(
      providerEndpoints(fields({ type: "okta", domain: "acme.okta.com", authorization_server: "default" })),
    ).toMatchObject({
      issuer: "https://acme.okta.com/oauth2/default",
    });
    expect(
      providerEndpoints(fields({ type: "keycloak", base_url: "https://sso.acme.example/", realm: "staff" })),
    ).toMatchObject({
      issuer: "https://sso.acme.example/realms/staff",
    });
    expect(providerEndpoints(fields({ type: "auth0", domain: "acme.eu.auth0.com" }))).toMatchObject({
      issuer: "https://acme.eu.auth0.com/",
    });
    expect(providerEndpoints(fields({ type: "gitlab" }))).toMatchObject({ issuer: "https://gitlab.com" });
    expect(providerEndpoints(fields({ type: "gitlab", base_url: "https://git.acme.example" }))).toMatchObject(
      { issuer: "https://git.acme.example" },
    );
    expect(providerEndpoints(fields({ type: "github" }))).toEqual({
      protocol: "github",
      webUrl: "https://github.com",
      apiUrl: "https://api.github.com",
    });
    expect(providerEndpoints(fields({ type: "github", base_url: "https://ghe.acme.example" }))).toEqual({
      protocol: "github",
      webUrl: "https://ghe.acme.example",
      apiUrl: "https://ghe.acme.example/api/v3",
    });
  });

  test("default scopes: OIDC presets ask for openid email profile; GitHub for read:user user:email (+ read:org when it restricts or maps by organisation)", () => {
    expect(providerScopes(fields({ type: "google" }))).toEqual(["openid", "email", "profile"]);
    expect(providerScopes(fields({ type: "github" }))).toEqual(["read:user", "user:email"]);
    expect(providerScopes(fields({ type: "github", allowed_organizations: ["acme"] }))).toEqual([
      "read:user",
      "user:email",
      "read:org",
    ]);
    expect(providerScopes(fields({ type: "google", scopes: ["openid"] }))).toEqual(["openid"]);
  });

  test("Entra ID: the email counts as verified only by xms_edov, never by email_verified", () => {
    const claims = { sub: "s", email: "a@b.example", email_verified: true };
    expect(toProfile("entra", claims, "groups", "xms_edov").emailVerified).toBe(false);
    expect(toProfile("entra", { ...claims, xms_edov: true }, "groups", "xms_edov").emailVerified).toBe(true);
  });

  test("the config file names what a type needs and what it does not take", () => {
    const dir = tempDir();
    const file = join(dir, "gw.yaml");
    writeFileSync(
      file,
      [
        "oauth_providers:",
        "  ms:",
        "    type: entra",
        "    client_id: x",
        "  okta:",
        "    type: okta",
        "    domain: acme.okta.com",
        "    issuer: https://acme.okta.com",
        "    client_id: x",
        "  ms2:",
        "    type: entra",
        "    tenant: common",
        "    client_id: x",
        "  g:",
        "    type: google",
        "    client_id: x",
        "    allowed_organizations: [acme]",
      ].join("\n"),
    );
    let problems: string[] = [];
    try {
      loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      `oauth_providers.ms.tenant (config file ${file}): required for type entra`,
      `oauth_providers.okta.issuer (config file ${file}): not used by type okta`,
      `oauth_providers.ms2.tenant (config file ${file}): expected the directory (tenant) ID, a GUID`,
      `oauth_providers.g.allowed_organizations (config file ${file}): only for type github`,
    ]);
  });
});

describe("a preset signs people in like generic OIDC", () => {
  let keycloak: FakeOidc;
  beforeAll(async () => {
    keycloak = await startFakeOidc({
      clientId: "gw",
      clientSecret: "kc-secret",
      pathPrefix: "/realms/staff",
    });
  });
  afterAll(() => keycloak.close());

  test("keycloak: base_url + realm find the realm's discovery; the button says Keycloak", async () => {
    const dir = tempDir();
    const base = keycloak.issuer.replace(/\/realms\/staff$/, "");
    writeFileSync(
      join(dir, "gw.yaml"),
      [
        "oauth_providers:",
        "  kc:",
        "    type: keycloak",
        `    base_url: ${base}`,
        "    realm: staff",
        "    client_id: gw",
        "    client_secret: kc-secret",
        "    jit_provisioning: true",
      ].join("\n"),
    );
    const gw = await testGateway({}, { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) });
    try {
      expect(await (await gw.request("/login")).text()).toContain("Sign in with <span>Keycloak</span>");
      const started = await gw.request("/login/upstream/kc");
      expect(started.status).toBe(303);
      const cookie = started.headers.getSetCookie()[0]?.split(";")[0] as string;
      const back = keycloak.authorize(started.headers.get("location") as string, {
        sub: "kc-1",
        email: "kim@staff.example",
        email_verified: true,
        preferred_username: "kim",
      });
      const done = await gw.request(`${back.pathname}${back.search}`, { headers: { cookie } });
      expect(done.status).toBe(303);
      expect(gw.ctx.users.byUsername("kim")?.email).toBe("kim@staff.example");
      expect(keycloak.requests).toContain("/realms/staff/.well-known/openid-configuration");
    } finally {
      await gw.close();
    }
  });
});
