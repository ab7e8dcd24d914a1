import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeProtectedHeader } from "jose";
import { createUser, login, type TestGateway, testGateway } from "../support/context.ts";
import { browserUser, form } from "../support/oauth-helpers.ts";

/*
 * /admin/settings (full-page posts) and the signing keys: GET /admin/api/signing-keys and
 * POST /admin/api/signing-keys/rotate, live (new kid signs at once, old tokens still verify).
 */

let gw: TestGateway;
let admin: { cookie: string; csrf: string };
beforeAll(async () => {
  gw = await testGateway({ RATE_LIMIT_TOKEN_MAX: "", JWT_ACCESS_TOKEN_EXPIRE_MINUTES: "20" });
  await createUser(gw, "root", { isAdmin: true });
  admin = await browserUser(gw, "root");
});
afterAll(() => gw.close());

const origin = () => ({ origin: gw.ctx.config.publicUrl });
const postSettings = (fields: Record<string, string>, csrf = admin.csrf) =>
  gw.request("/admin/settings", form({ _csrf: csrf, ...fields }, { cookie: admin.cookie, ...origin() }));
const pageHtml = async () =>
  (await gw.request("/admin/settings", { headers: { cookie: admin.cookie } })).text();

describe("/admin/settings", () => {
  test("without a session → login; a user who is not an admin → 403", async () => {
    const anonymous = await gw.request("/admin/settings");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toContain("/login");
    const bob = await browserUser(gw, "bob");
    expect((await gw.request("/admin/settings", { headers: { cookie: bob.cookie } })).status).toBe(403);
  });

  test("shows editable settings as fields and fixed ones read-only with their source", async () => {
    const html = await pageHtml();
    expect(html).toContain('name="rateLimitTokenMax"');
    // JWT_ACCESS_TOKEN_EXPIRE_MINUTES comes from the environment: no field, its source named.
    expect(html).not.toContain('name="accessTokenMinutes"');
    expect(html).toMatch(/data-setting="accessTokenMinutes" data-source="environment"/);
    expect(html).toContain("JWT_ACCESS_TOKEN_EXPIRE_MINUTES");
  });

  test("a save changes only what differs, and the next request sees it", async () => {
    const response = await postSettings({ rateLimitTokenMax: "42", oauthRegistrationMode: "open" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/settings?done=saved");
    expect(gw.ctx.config.rateLimitTokenMax).toBe(42);
    const stored = gw.ctx.db.$client.query("SELECT key FROM runtime_settings ORDER BY key").all();
    // The untouched registration mode stays a default, not a stored copy of it.
    expect(stored).toEqual([{ key: "rateLimitTokenMax" }]);
    const events = gw.ctx.securityLog.page({ types: ["admin_change"] }, 10, 0).rows;
    expect(JSON.stringify(events[0]?.details)).toContain('"rateLimitTokenMax":42');
  });

  test("a bad value: 400, the error next to the field, the typed values kept, nothing changed", async () => {
    const response = await postSettings({
      rateLimitTokenMax: '"><b>many</b>',
      rateLimitAuthorizeWindow: "7",
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/data-error-for="rateLimitTokenMax"[^>]*>expected a whole number/);
    // Kept as typed, inside the attribute: its quote escaped, so no markup escapes it.
    expect(html).toContain('value="&#34;><b>many</b>"');
    expect(html).not.toContain('value=""><b>');
    expect(html).toContain(
      'name="rateLimitAuthorizeWindow" type="number" inputmode="numeric" min="1" max="86400" value="7"',
    );
    expect(gw.ctx.config.rateLimitTokenMax).toBe(42);
    expect(gw.ctx.config.rateLimitAuthorizeWindow).toBe(60);
  });

  test("a posted fixed or unknown setting is refused and named", async () => {
    const fixed = await postSettings({ accessTokenMinutes: "5" });
    expect(fixed.status).toBe(409);
    expect(await fixed.text()).toContain("accessTokenMinutes: set by the environment");
    const unknown = await postSettings({ sessionSecret: "x".repeat(40) });
    expect(unknown.status).toBe(400);
    expect(gw.ctx.config.accessTokenMinutes).toBe(20);
  });

  test("a post without the CSRF token → 403, nothing changed", async () => {
    const response = await postSettings({ rateLimitTokenMax: "5" }, "wrong");
    expect(response.status).toBe(403);
    expect(gw.ctx.config.rateLimitTokenMax).toBe(42);
  });
});

describe("signing keys", () => {
  test("rotation: the next token carries the new kid, the old token still verifies, the JWKS has both", async () => {
    await createUser(gw, "keyadmin", { isAdmin: true });
    const before = (await login(gw, "keyadmin")).access_token;
    const oldKid = decodeProtectedHeader(before).kid as string;
    const auth = { authorization: `Bearer ${before}` };
    const listed = (await (await gw.request("/admin/api/signing-keys", { headers: auth })).json()) as {
      algorithm: string;
      keys: { kid: string; active: boolean }[];
    };
    expect(listed.algorithm).toBe("ES256");
    expect(listed.keys.filter((k) => k.active).map((k) => k.kid)).toEqual([oldKid]);
    expect(JSON.stringify(listed)).not.toContain('"d"');

    const rotated = await gw.request("/admin/api/signing-keys/rotate", { method: "POST", headers: auth });
    expect(rotated.status).toBe(200);
    const newKid = ((await rotated.json()) as { rotated: { kid: string } }).rotated.kid;
    expect(newKid).not.toBe(oldKid);

    const after = (await login(gw, "keyadmin")).access_token;
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    // The token signed before the rotation still works, at once and without a restart.
    expect((await gw.request("/admin/api/signing-keys", { headers: auth })).status).toBe(200);
    const jwks = (await (await gw.request("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    const events = gw.ctx.securityLog.page({ types: ["admin_change"] }, 10, 0).rows;
    expect(events.some((e) => JSON.stringify(e.details).includes("/admin/api/signing-keys/rotate"))).toBe(
      true,
    );
  });

  test("the page's rotate button: a new kid is active and named", async () => {
    const kid = gw.ctx.keys.signingKey().kid;
    const response = await gw.request(
      "/admin/settings/rotate-key",
      form({ _csrf: admin.csrf }, { cookie: admin.cookie, ...origin() }),
    );
    expect(response.status).toBe(303);
    const html = await (
      await gw.request(response.headers.get("location") as string, { headers: { cookie: admin.cookie } })
    ).text();
    const active = gw.ctx.keys.signingKey().kid;
    expect(active).not.toBe(kid);
    expect(html).toContain(`New signing key ${active} is active.`);
    expect(html).toContain(`data-kid="${kid}"`);
  });

  test("two rotations at once: both new keys are kept, the later one signs", async () => {
    const token = (await login(gw, "keyadmin")).access_token;
    const rotate = () =>
      gw.request("/admin/api/signing-keys/rotate", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
    const answers = await Promise.all([rotate(), rotate()]);
    const kids = await Promise.all(
      answers.map(async (a) => ((await a.json()) as { rotated: { kid: string } }).rotated.kid),
    );
    expect(new Set(kids).size).toBe(2);
    const published = gw.ctx.keys.jwks().keys.map((k) => k.kid);
    for (const kid of kids) expect(published).toContain(kid);
    expect(kids).toContain(gw.ctx.keys.signingKey().kid);
    expect(gw.ctx.keys.list().filter((k) => k.active)).toHaveLength(1);
  });

  test("HS256: rotation is refused with 409 and the reason", async () => {
    const hs = await testGateway({ JWT_ALGORITHM: "HS256" });
    try {
      await createUser(hs, "root", { isAdmin: true });
      const token = (await login(hs, "root")).access_token;
      const response = await hs.request("/admin/api/signing-keys/rotate", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(409);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe("rotation_refused");
      expect(body.error_description).toContain("JWT_SECRET_KEY");
      expect(
        (await hs.request("/admin/api/signing-keys", { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(200);
    } finally {
      await hs.close();
    }
  });
});
