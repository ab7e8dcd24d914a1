import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import { FakeClock } from "../support/clock.ts";
import { createUser, jsonInit, login, type TestGateway, tempDir, testGateway } from "../support/context.ts";
import { type FakeOidc, type FakePerson, startFakeOidc } from "../support/fake-oidc.ts";

const CLIENT = { clientId: "gateway-client", clientSecret: "s3cret-of-the-gateway-at-corp" };

const ALICE: FakePerson = {
  sub: "corp-alice",
  email: "alice@corp.example",
  email_verified: true,
  preferred_username: "alice",
  groups: ["eng", "everyone"],
};

let idp: FakeOidc;
let other: FakeOidc;

beforeAll(async () => {
  idp = await startFakeOidc(CLIENT);
  other = await startFakeOidc(CLIENT);
});
afterAll(() => {
  idp.close();
  other.close();
});

const open: TestGateway[] = [];
afterEach(async () => {
  for (const gw of open.splice(0)) await gw.close();
});

/** A gateway whose config file names the fake provider as `corp` (its secret through ${CORP_SECRET}). */
async function gatewayWith(provider: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const dir = tempDir();
  const yaml = [
    "oauth_providers:",
    "  corp:",
    "    type: oidc",
    "    display_name: Corp SSO",
    `    issuer: ${idp.issuer}`,
    `    client_id: ${CLIENT.clientId}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${VAR} syntax
    "    client_secret: ${CORP_SECRET}",
    ...Object.entries({ jit_provisioning: true, ...provider }).map(
      ([k, v]) => `    ${k}: ${JSON.stringify(v)}`,
    ),
  ].join("\n");
  writeFileSync(join(dir, "gw.yaml"), yaml);
  const gw = await testGateway(
    { CORP_SECRET: CLIENT.clientSecret, ...env },
    { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) },
  );
  open.push(gw);
  const events: SecurityEvent[] = [];
  gw.ctx.securityEvents.subscribe((event) => events.push(event));
  return { gw, events };
}

function cookieOf(response: Response, name: string): string | undefined {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(";");
    if (pair?.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return undefined;
}

/** Starts an upstream sign-in in a "browser" (its cookies): the provider's authorization URL and the binding cookie. */
async function start(gw: TestGateway, slug = "corp", returnTo = "/admin/") {
  const response = await gw.request(`/login/upstream/${slug}?return_to=${encodeURIComponent(returnTo)}`);
  expect(response.status).toBe(303);
  const binding = cookieOf(response, "authmcp_upstream");
  expect(binding).toBeDefined();
  return { location: response.headers.get("location") as string, cookie: `authmcp_upstream=${binding}` };
}

/** Brings the browser back to the gateway's callback. */
function callback(gw: TestGateway, url: URL, cookie: string) {
  return gw.request(`${url.pathname}${url.search}`, { headers: { cookie } });
}

async function signIn(gw: TestGateway, person: FakePerson, returnTo = "/admin/") {
  const started = await start(gw, "corp", returnTo);
  return callback(gw, idp.authorize(started.location, person), started.cookie);
}

function failures(events: SecurityEvent[]) {
  return events.filter((e) => e.type === "upstream_login_failure").map((e) => e.details.reason);
}

describe("sign-in through a generic OIDC provider", () => {
  test("the authorization request carries PKCE S256, state, nonce, the exact redirect URI and the scopes", async () => {
    const { gw } = await gatewayWith();
    const { location } = await start(gw);
    const url = new URL(location);
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/authorize`);
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("state")?.length).toBeGreaterThan(20);
    expect(q.get("nonce")?.length).toBeGreaterThan(20);
    expect(q.get("redirect_uri")).toBe(`${gw.ctx.config.publicUrl}/login/upstream/corp/callback`);
    expect(q.get("scope")).toBe("openid email profile");
  });

  test("a first sign-in creates the user (JIT), links (provider, subject) and starts a session going to return_to", async () => {
    const { gw, events } = await gatewayWith();
    const done = await signIn(gw, ALICE, "/oauth/authorize?client_id=x");
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/oauth/authorize?client_id=x");
    const session = cookieOf(done, sessionCookieName(gw.ctx.config.publicUrl));
    expect(session).toBeDefined();
    const user = gw.ctx.users.byUsername("alice");
    expect(user?.email).toBe("alice@corp.example");
    expect(user?.passwordHash).toBeNull();
    // The session is a real one: the person's identity on a later request.
    const me = gw.ctx.browserSessions.resolve(session);
    expect(me?.userId).toBe(user?.id as string);
    // The user context sent to backends knows the upstream identity (email and groups from userinfo).
    expect(gw.ctx.users.principal(user?.id as string)?.upstream).toEqual({
      provider: "corp",
      subject: "corp-alice",
      email: "alice@corp.example",
      groups: ["eng", "everyone"],
      linkedProviders: ["corp"],
    });
    expect(failures(events)).toEqual([]);
    // A second sign-in finds the same user by (provider, subject), not a new one.
    const again = await signIn(gw, { ...ALICE, preferred_username: "renamed" });
    expect(again.status).toBe(303);
    expect(gw.ctx.users.list().map((u) => u.username)).toEqual(["alice"]);
  });

  test("the login page shows a button per provider; LOCAL_LOGIN_ENABLED=false hides and refuses the password form", async () => {
    const { gw } = await gatewayWith({}, { LOCAL_LOGIN_ENABLED: "false" });
    const page = await gw.request("/login?return_to=%2Fadmin%2F");
    const html = await page.text();
    expect(html).toContain('href="/login/upstream/corp?return_to=%2Fadmin%2F"');
    expect(html).toContain("Sign in with <span>Corp SSO</span>");
    expect(html).not.toContain('name="password"');
    const csrf = cookieOf(page, "authmcp_csrf") as string;
    await createUser(gw, "local");
    const posted = await gw.request("/login", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `authmcp_csrf=${csrf}`,
        origin: gw.ctx.config.publicUrl,
      },
      body: new URLSearchParams({
        _csrf: csrf,
        username: "local",
        password: "Correct-Horse-9",
        return_to: "/",
      }).toString(),
    });
    expect(posted.status).toBe(403);
    expect(cookieOf(posted, sessionCookieName(gw.ctx.config.publicUrl))).toBeUndefined();
  });

  test("with local sign-in on (default) the page has both the buttons and the password form", async () => {
    const { gw } = await gatewayWith();
    const html = await (await gw.request("/login")).text();
    expect(html).toContain("/login/upstream/corp?");
    expect(html).toContain('name="password"');
  });
});

describe("accounts and restrictions", () => {
  test("JIT off: an unknown person is refused with a page and a security event; no user is created", async () => {
    const { gw, events } = await gatewayWith({ jit_provisioning: false });
    const done = await signIn(gw, ALICE);
    expect(done.status).toBe(403);
    expect(await done.text()).toContain("no gateway account for you");
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(failures(events)).toEqual(["not_provisioned"]);
  });

  test("an email domain outside allowed_email_domains is refused", async () => {
    const { gw, events } = await gatewayWith({ allowed_email_domains: ["corp.example"] });
    const done = await signIn(gw, { ...ALICE, sub: "x", email: "eve@elsewhere.example" });
    expect(done.status).toBe(403);
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(failures(events)).toEqual(["email_domain_not_allowed"]);
    expect((await signIn(gw, ALICE)).status).toBe(303);
  });

  test("an unverified email is refused while require_verified_email is on", async () => {
    const { gw, events } = await gatewayWith();
    const done = await signIn(gw, { ...ALICE, email_verified: false });
    expect(done.status).toBe(403);
    expect(failures(events)).toEqual(["email_not_verified"]);
  });

  test("required_groups: a person in none of them is refused", async () => {
    const { gw, events } = await gatewayWith({ required_groups: ["admins"] });
    expect((await signIn(gw, ALICE)).status).toBe(403);
    expect(failures(events)).toEqual(["missing_required_group"]);
    expect((await signIn(gw, { ...ALICE, groups: ["admins"] })).status).toBe(303);
  });

  test("an existing local account with the same email is never linked by email unless link_by_verified_email is on", async () => {
    const { gw, events } = await gatewayWith();
    const local = await gw.ctx.users.create({
      username: "alice-local",
      email: "alice@corp.example",
      password: "Correct-Horse-9",
    });
    expect(local.ok).toBe(true);
    const refused = await signIn(gw, ALICE);
    expect(refused.status).toBe(409);
    expect(failures(events)).toEqual(["email_taken"]);
    expect(gw.ctx.users.list()).toHaveLength(1);

    const linking = await gatewayWith({ link_by_verified_email: true });
    const created = await linking.gw.ctx.users.create({
      username: "alice-local",
      email: "alice@corp.example",
      password: "Correct-Horse-9",
    });
    const done = await signIn(linking.gw, ALICE);
    expect(done.status).toBe(303);
    const session = cookieOf(done, sessionCookieName(linking.gw.ctx.config.publicUrl));
    expect(linking.gw.ctx.browserSessions.resolve(session)?.userId).toBe(created.ok ? created.user.id : "");
    // An unverified email does not link even then.
    expect((await signIn(linking.gw, { ...ALICE, sub: "someone-else", email_verified: false })).status).toBe(
      403,
    );
  });

  test("group mapping: membership (and so grants) follows the upstream groups on every sign-in", async () => {
    const { gw } = await gatewayWith({ group_mapping: { eng: "engineers" } });
    const { gateway } = gw.app.decorator;
    const group = gateway.groups.create({ name: "engineers" });
    if (!group.ok) throw new Error(group.message);
    await signIn(gw, ALICE);
    const user = gw.ctx.users.byUsername("alice");
    expect(gateway.policy.isMember(group.group.id, user?.id as string)).toBe(true);
    await signIn(gw, { ...ALICE, groups: ["everyone"] });
    expect(gateway.policy.isMember(group.group.id, user?.id as string)).toBe(false);
    await signIn(gw, ALICE);
    expect(gateway.policy.isMember(group.group.id, user?.id as string)).toBe(true);
  });
});

describe("the portal's sign-in identities", () => {
  test("a person sees their linked identity; the only way to sign in cannot be unlinked; with a password it can", async () => {
    const { gw } = await gatewayWith({ link_by_verified_email: true });
    const page = async (cookie: string, init: RequestInit = {}) =>
      gw.request("/portal/identities", {
        ...init,
        headers: { cookie, ...(init.headers as Record<string, string>) },
      });
    const sessionOf = (response: Response) =>
      `${sessionCookieName(gw.ctx.config.publicUrl)}=${cookieOf(response, sessionCookieName(gw.ctx.config.publicUrl))}`;
    const unlink = (cookie: string, fields: Record<string, string>) =>
      gw.request("/portal/identities/unlink", {
        method: "POST",
        headers: {
          cookie,
          "content-type": "application/x-www-form-urlencoded",
          origin: gw.ctx.config.publicUrl,
        },
        body: new URLSearchParams(fields).toString(),
      });
    const csrfOf = (cookie: string) => {
      const session = gw.ctx.browserSessions.resolve(cookie.split("=")[1]);
      return gw.ctx.browserSessions.csrfToken(session as NonNullable<typeof session>);
    };

    // JIT user without a password: the identity is listed, and unlinking it is refused.
    const jit = sessionOf(
      await signIn(gw, { ...ALICE, sub: "jit-1", email: "jit@corp.example", preferred_username: "jitty" }),
    );
    const listed = await (await page(jit)).text();
    expect(listed).toContain("Corp SSO");
    expect(listed).toContain("jit@corp.example");
    const refused = await unlink(jit, { _csrf: csrfOf(jit), provider: "corp", subject: "jit-1" });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("only way to sign in");

    // A local account (with a password) linked by verified email: unlinking works, and ends what backends learn.
    await gw.ctx.users.create({
      username: "alice-local",
      email: "alice@corp.example",
      password: "Correct-Horse-9",
    });
    const local = sessionOf(await signIn(gw, ALICE));
    const userId = gw.ctx.users.byUsername("alice-local")?.id as string;
    expect(gw.ctx.users.principal(userId)?.upstream?.subject).toBe("corp-alice");
    expect((await unlink(local, { _csrf: "wrong", provider: "corp", subject: "corp-alice" })).status).toBe(
      403,
    );
    const done = await unlink(local, { _csrf: csrfOf(local), provider: "corp", subject: "corp-alice" });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("No identity provider account is linked");
    expect(gw.ctx.users.principal(userId)?.upstream).toBeUndefined();
    // Someone else's identity is not theirs to unlink.
    expect((await unlink(local, { _csrf: csrfOf(local), provider: "corp", subject: "jit-1" })).status).toBe(
      404,
    );
  });
});

describe("attacks on the upstream flow are refused with a security event", () => {
  test("a tampered state", async () => {
    const { gw, events } = await gatewayWith();
    const started = await start(gw);
    const url = idp.authorize(started.location, ALICE);
    url.searchParams.set("state", `${url.searchParams.get("state")}x`);
    const done = await callback(gw, url, started.cookie);
    expect(done.status).toBe(400);
    expect(cookieOf(done, sessionCookieName(gw.ctx.config.publicUrl))).toBeUndefined();
    expect(failures(events)).toEqual(["invalid_state"]);
  });

  test("a replayed state (the same callback twice)", async () => {
    const { gw, events } = await gatewayWith();
    const started = await start(gw);
    const url = idp.authorize(started.location, ALICE);
    expect((await callback(gw, url, started.cookie)).status).toBe(303);
    const replay = await callback(gw, url, started.cookie);
    expect(replay.status).toBe(400);
    expect(failures(events)).toEqual(["invalid_state"]);
  });

  test("a state brought back by another browser (no or another binding cookie)", async () => {
    const { gw, events } = await gatewayWith();
    const started = await start(gw);
    const url = idp.authorize(started.location, ALICE);
    const done = await callback(gw, url, "authmcp_upstream=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(done.status).toBe(400);
    expect(failures(events)).toEqual(["state_wrong_browser"]);
    // The state is spent: the right browser cannot use it afterwards either.
    expect((await callback(gw, url, started.cookie)).status).toBe(400);
  });

  test("an expired pending sign-in", async () => {
    const { gw, events } = await gatewayWith({}, { UPSTREAM_LOGIN_MINUTES: "2" });
    const started = await start(gw);
    gw.clock.advance(2 * 60_000 + 1);
    const done = await callback(gw, idp.authorize(started.location, ALICE), started.cookie);
    expect(done.status).toBe(400);
    expect(failures(events)).toEqual(["invalid_state"]);
  });

  test("a wrong nonce in the ID token", async () => {
    const { gw, events } = await gatewayWith();
    idp.misbehave({ nonce: "not-the-nonce" });
    const done = await signIn(gw, ALICE);
    expect(done.status).toBe(400);
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(failures(events)).toEqual(["nonce_mismatch"]);
  });

  test("an ID token signed by a key the provider does not publish", async () => {
    const { gw, events } = await gatewayWith();
    idp.misbehave({ foreignKey: true });
    const done = await signIn(gw, ALICE);
    expect(done.status).toBe(400);
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(failures(events)).toEqual(["id_token_signature"]);
  });

  test("key rotation: a new key id makes the gateway fetch the JWKS again (after UPSTREAM_JWKS_COOLDOWN_SECONDS)", async () => {
    const rotating = await startFakeOidc(CLIENT);
    try {
      const dir = tempDir();
      writeFileSync(
        join(dir, "gw.yaml"),
        [
          "oauth_providers:",
          "  corp:",
          "    type: oidc",
          "    display_name: Rotating",
          `    issuer: ${rotating.issuer}`,
          `    client_id: ${CLIENT.clientId}`,
          `    client_secret: ${CLIENT.clientSecret}`,
          "    jit_provisioning: true",
        ].join("\n"),
      );
      const run = async (cooldown: string) => {
        const gw = await testGateway(
          { UPSTREAM_JWKS_COOLDOWN_SECONDS: cooldown },
          { dir, keepDir: true, configFile: "gw.yaml", clock: new FakeClock(Date.now()) },
        );
        open.push(gw);
        const via = async () => {
          const started = await start(gw);
          return callback(gw, rotating.authorize(started.location, ALICE), started.cookie);
        };
        expect((await via()).status).toBe(303);
        await rotating.rotateKey();
        return (await via()).status;
      };
      // Within the cooldown the new key id is refused (no refetch); with none it is fetched at once.
      expect(await run("30")).toBe(400);
      expect(await run("0")).toBe(303);
    } finally {
      rotating.close();
    }
  });

  test("clocks apart by more than CLOCK_SKEW_SECONDS: the ID token is refused as expired", async () => {
    const { gw, events } = await gatewayWith({}, { CLOCK_SKEW_SECONDS: "30" });
    const started = await start(gw);
    // The fake provider's tokens live 300 s; the gateway's clock runs eight minutes ahead.
    gw.clock.advance(8 * 60_000);
    const done = await callback(gw, idp.authorize(started.location, ALICE), started.cookie);
    expect(done.status).toBe(400);
    expect(await done.text()).toContain("check the clocks");
    expect(failures(events)).toEqual(["id_token_expired"]);
  });

  test("the client secret never reaches the logs, refused or not", async () => {
    const { gw } = await gatewayWith();
    await signIn(gw, ALICE);
    idp.misbehave({ foreignKey: true });
    await signIn(gw, ALICE);
    expect(gw.logs.length).toBeGreaterThan(0);
    expect(gw.logs.join("\n")).not.toContain(CLIENT.clientSecret);
  });

  test("an ID token from another issuer", async () => {
    const { gw, events } = await gatewayWith();
    idp.misbehave({ idTokenIssuer: other.issuer });
    const done = await signIn(gw, ALICE);
    expect(done.status).toBe(400);
    expect(failures(events)).toEqual(["id_token_invalid"]);
  });

  test("iss mix-up: the authorization response names another issuer (RFC 9207)", async () => {
    const { gw, events } = await gatewayWith();
    const started = await start(gw);
    const url = idp.authorize(started.location, ALICE, { iss: other.issuer });
    const done = await callback(gw, url, started.cookie);
    expect(done.status).toBe(400);
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(failures(events)).toEqual(["issuer_mismatch"]);
  });

  test("access_denied at the provider shows a clear page", async () => {
    const { gw, events } = await gatewayWith();
    const started = await start(gw);
    const state = new URL(started.location).searchParams.get("state") as string;
    const url = new URL(`${gw.ctx.config.publicUrl}/login/upstream/corp/callback`);
    url.searchParams.set("error", "access_denied");
    url.searchParams.set("state", state);
    url.searchParams.set("iss", idp.issuer);
    const done = await callback(gw, url, started.cookie);
    expect(done.status).toBe(403);
    expect(await done.text()).toContain("cancelled or refused");
    expect(failures(events)).toEqual(["access_denied"]);
  });

  test("an unknown provider is a 404 page, not a redirect", async () => {
    const { gw } = await gatewayWith();
    expect((await gw.request("/login/upstream/nope")).status).toBe(404);
  });
});

describe("the admin API of identity providers", () => {
  test("secrets are write-only and sealed at rest; an API provider signs people in; config providers are read-only", async () => {
    const { gw } = await gatewayWith();
    await createUser(gw, "root", { isAdmin: true });
    const token = (await login(gw, "root")).access_token;
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const created = await gw.request(
      "/admin/api/identity-providers",
      jsonInit(
        {
          slug: "second",
          type: "oidc",
          display_name: "Second IdP",
          issuer: other.issuer,
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          jit_provisioning: true,
          order: -1,
        },
        auth,
      ),
    );
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body.has_client_secret).toBe(true);
    expect(body.redirect_uri).toBe(`${gw.ctx.config.publicUrl}/login/upstream/second/callback`);
    expect(JSON.stringify(body)).not.toContain(CLIENT.clientSecret);
    const list = await (await gw.request("/admin/api/identity-providers", auth)).text();
    expect(list).not.toContain(CLIENT.clientSecret);
    expect(list).toContain('"source":"config"');
    const row = gw.ctx.db.$client.query("select settings, secret_sealed from identity_providers").get() as {
      settings: string;
      secret_sealed: string;
    };
    expect(row.settings).not.toContain(CLIENT.clientSecret);
    expect(row.secret_sealed).toStartWith("v1.");
    expect(row.secret_sealed).not.toContain(CLIENT.clientSecret);

    // The login page lists it first (order -1), and it signs a person in.
    const html = await (await gw.request("/login")).text();
    expect(html.indexOf("Second IdP")).toBeLessThan(html.indexOf("Corp SSO"));
    const started = await start(gw, "second");
    const done = await callback(
      gw,
      other.authorize(started.location, {
        ...ALICE,
        sub: "bob-2",
        email: "bob@two.example",
        preferred_username: "bob",
      }),
      started.cookie,
    );
    expect(done.status).toBe(303);
    const bob = gw.ctx.users.byUsername("bob");
    expect(bob).toBeDefined();

    // The user's identities, and unlinking one.
    const identities = await (await gw.request(`/admin/api/users/${bob?.id}/identities`, auth)).json();
    expect(identities).toMatchObject({
      items: [{ provider: "second", subject: "bob-2", email: "bob@two.example" }],
    });
    const unlinked = await gw.request(`/admin/api/users/${bob?.id}/identities/second/bob-2`, {
      ...auth,
      method: "DELETE",
    });
    expect(unlinked.status).toBe(204);
    expect(gw.ctx.users.principal(bob?.id as string)?.upstream).toBeUndefined();

    // A bad body is a 400, the config provider cannot be changed through the API.
    const bad = await gw.request(
      "/admin/api/identity-providers",
      jsonInit({ slug: "Bad Slug", type: "saml" }, auth),
    );
    expect(bad.status).toBe(400);
    const put = await gw.request("/admin/api/identity-providers/corp", {
      ...jsonInit({ type: "oidc", display_name: "x", issuer: idp.issuer, client_id: "x" }, auth),
      method: "PUT",
    });
    expect(put.status).toBe(409);
    expect(
      (await gw.request("/admin/api/identity-providers/second", { ...auth, method: "DELETE" })).status,
    ).toBe(204);
    expect((await gw.request("/login/upstream/second")).status).toBe(404);
  });

  test("the API refuses people who are not administrators", async () => {
    const { gw } = await gatewayWith();
    await createUser(gw, "alice");
    const token = (await login(gw, "alice")).access_token;
    const response = await gw.request("/admin/api/identity-providers", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(403);
  });
});
