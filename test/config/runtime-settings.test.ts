import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { loadConfig } from "../../src/config/load.ts";
import {
  createUser,
  jsonInit,
  login,
  STRONG_PASSWORD,
  type TestGateway,
  tempDir,
  testGateway,
} from "../support/context.ts";
import { browserUser, form } from "../support/oauth-helpers.ts";

const API = "/admin/api/settings";
/** Every runtime-editable setting, in the order the API lists them. */
const RUNTIME_KEYS = [
  "rateLimitLoginMax",
  "rateLimitLoginWindow",
  "rateLimitRegisterMax",
  "rateLimitRegisterWindow",
  "rateLimitTokenMax",
  "rateLimitTokenWindow",
  "rateLimitClientRegistrationMax",
  "rateLimitClientRegistrationWindow",
  "rateLimitAuthorizeMax",
  "rateLimitAuthorizeWindow",
  "rateLimitMcpMax",
  "rateLimitMcpWindow",
  "allowRegistration",
  "oauthRegistrationMode",
  "oauthCimdEnabled",
  "accessTokenMinutes",
  "refreshTokenDays",
  "authorizationCodeTtlSeconds",
  "passwordMinLength",
  "passwordRequireUppercase",
  "passwordRequireLowercase",
  "passwordRequireDigit",
  "passwordRequireSpecial",
  "passwordPassphraseMinLength",
  "activityRetentionDays",
  "securityEventRetentionDays",
  "personalTokenMaxPerUser",
  "personalTokenMaxLifetimeDays",
  "adminLiveActivityRows",
];
let gw: TestGateway | undefined;
let second: TestGateway | undefined;
/** Directories of the tests that chose their own (removed after each test). */
const dirs: string[] = [];
const ownDir = () => {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  await second?.close();
  await gw?.close();
  gw = undefined;
  second = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface View {
  key: string;
  env: string;
  value: unknown;
  default: unknown;
  source: string;
  sourcePath?: string;
  editable: boolean;
  kind: { type: string; min?: number; max?: number; values?: string[] };
}

async function start(env: Record<string, string> = {}, options: Parameters<typeof testGateway>[1] = {}) {
  const g = await testGateway(env, options);
  if (!g.ctx.users.byUsername("root")) await createUser(g, "root", { isAdmin: true });
  const auth = { authorization: `Bearer ${(await login(g, "root")).access_token}` };
  /** A new admin token (after the fake clock moved past the old one's expiry). */
  const signInAgain = async () => {
    auth.authorization = `Bearer ${(await login(g, "root")).access_token}`;
  };
  const patch = (body: unknown) =>
    g.request(API, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const list = async () =>
    ((await (await g.request(API, { headers: auth })).json()) as { settings: View[] }).settings;
  const setting = async (key: string) => (await list()).find((s) => s.key === key) as View;
  return { g, auth, patch, list, setting, signInAgain };
}

/**
 * One gateway for most tests (a gateway and two password hashes take seconds on a busy machine):
 * the rate limits left to their defaults, so that they are editable here.
 */
let shared: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  shared = await start({
    RATE_LIMIT_LOGIN_MAX: "",
    RATE_LIMIT_REGISTER_MAX: "",
    RATE_LIMIT_TOKEN_MAX: "",
    RATE_LIMIT_CLIENT_REGISTRATION_MAX: "",
    RATE_LIMIT_AUTHORIZE_MAX: "",
    RATE_LIMIT_MCP_MAX: "",
  });
  // Other tests sign in often: the login limit is set high, as the environment does elsewhere.
  // Not asserted here (a failing hook hides every test's own result); the first test checks it.
  await shared.patch({ rateLimitLoginMax: 100000 });
});
afterAll(() => shared.g.close());

describe("GET /admin/api/settings", () => {
  test("admins only: 401 without a token, 403 for a user", async () => {
    const s = shared;
    expect((await s.g.request(API)).status).toBe(401);
    await createUser(s.g, "bob");
    const bob = (await login(s.g, "bob")).access_token;
    expect((await s.g.request(API, { headers: { authorization: `Bearer ${bob}` } })).status).toBe(403);
    const patched = await s.g.request(API, {
      method: "PATCH",
      headers: { authorization: `Bearer ${bob}`, "content-type": "application/json" },
      body: JSON.stringify({ rateLimitLoginMax: 3 }),
    });
    expect(patched.status).toBe(403);
    expect(s.g.ctx.config.rateLimitLoginMax).toBe(100000);
    expect(await s.setting("rateLimitLoginMax")).toMatchObject({ value: 100000, source: "admin" });
  });

  test("lists every runtime setting with value, default, kind and source; no secret", async () => {
    const dir = ownDir();
    writeFileSync(join(dir, "gateway.yaml"), "oauth_registration_mode: approval\n");
    // The working directory's .env is read as the env file.
    writeFileSync(join(dir, ".env"), "PASSWORD_MIN_LENGTH=10\n");
    const s = await start(
      { JWT_ACCESS_TOKEN_EXPIRE_MINUTES: "15", RATE_LIMIT_LOGIN_MAX: "" },
      { dir, configFile: join(dir, "gateway.yaml") },
    );
    gw = s.g;
    const all = await s.list();
    expect(all.map((v) => v.key)).toEqual(RUNTIME_KEYS);
    const byKey = new Map(all.map((v) => [v.key, v]));
    expect(byKey.get("accessTokenMinutes")).toMatchObject({
      env: "JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
      value: 15,
      default: 30,
      source: "environment",
      editable: false,
      kind: { type: "int", min: 1, max: 1440 },
    });
    expect(byKey.get("oauthRegistrationMode")).toMatchObject({
      value: "approval",
      source: "config file",
      sourcePath: join(dir, "gateway.yaml"),
      editable: false,
      kind: { type: "oneOf", values: ["open", "approval", "none"] },
    });
    expect(byKey.get("rateLimitLoginMax")).toMatchObject({
      value: 10,
      default: 10,
      source: "default",
      editable: true,
    });
    expect(byKey.get("rateLimitTokenMax")).toMatchObject({
      value: 100000,
      source: "environment",
      editable: false,
    });
    expect(byKey.get("allowRegistration")).toMatchObject({ value: false, kind: { type: "bool" } });
    expect(byKey.get("passwordMinLength")).toMatchObject({
      value: 10,
      source: "env file",
      sourcePath: join(dir, ".env"),
      editable: false,
    });
    // Each of them refused by name and source; nothing changed.
    const refused = await s.patch({ oauthRegistrationMode: "none", passwordMinLength: 12 });
    expect(refused.status).toBe(409);
    const { errors } = (await refused.json()) as { errors: Record<string, string> };
    expect(errors.oauthRegistrationMode).toContain(`config file ${join(dir, "gateway.yaml")}`);
    expect(errors.passwordMinLength).toContain(`env file ${join(dir, ".env")}`);
    expect(s.g.ctx.config.oauthRegistrationMode).toBe("approval");
    expect(s.g.ctx.config.passwordMinLength).toBe(10);
    const text = JSON.stringify(all);
    for (const secret of ["JWT_SECRET_KEY", "ENCRYPTION_KEY", "SESSION_SECRET", "METRICS_TOKEN"]) {
      expect(text).not.toContain(secret);
    }
  });
});

test("loadConfig reports where each value came from; a default is not listed", () => {
  const dir = ownDir();
  writeFileSync(join(dir, "gateway.yaml"), "refresh_token_days: 3\njwt_refresh_token_expire_days: 4\n");
  const load = () =>
    loadConfig({
      env: { RATE_LIMIT_LOGIN_MAX: "5", AUTH_SQLITE_PATH: join(dir, "users.db") },
      cwd: dir,
      cli: { port: "9001", configFile: "gateway.yaml" },
    });
  expect(() => load()).toThrow("refresh_token_days");
  writeFileSync(join(dir, "gateway.yaml"), "jwt_refresh_token_expire_days: 4\n");
  const { settingSources } = load().config;
  expect(settingSources.port).toBe("command line");
  expect(settingSources.rateLimitLoginMax).toBe("environment");
  expect(settingSources.sqlitePath).toBe("environment");
  expect(settingSources.refreshTokenDays).toBe(`config file ${join(dir, "gateway.yaml")}`);
  expect(settingSources.accessTokenMinutes).toBeUndefined();
});

describe("PATCH /admin/api/settings refuses", () => {
  test("a setting fixed by the environment: 409 naming it and its source, nothing changed", async () => {
    const s = await start({ RATE_LIMIT_LOGIN_MAX: "50", RATE_LIMIT_TOKEN_MAX: "" });
    gw = s.g;
    const response = await s.patch({ rateLimitLoginMax: 3, rateLimitTokenMax: 4 });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe("setting_fixed");
    expect(body.error_description).toContain("rateLimitLoginMax");
    expect(body.error_description).toContain("environment");
    expect(body.error_description).toContain("RATE_LIMIT_LOGIN_MAX");
    // All or nothing: the editable one was not changed either.
    expect(s.g.ctx.config.rateLimitLoginMax).toBe(50);
    expect(s.g.ctx.config.rateLimitTokenMax).toBe(60);
    expect((await s.setting("rateLimitTokenMax")).source).toBe("default");
  });

  const bad: [string, string | unknown, string][] = [
    ["malformed JSON", "{not json", "not valid JSON"],
    ["an array", [["rateLimitTokenMax", 3]], "JSON object"],
    ["a string", '"rateLimitTokenMax"', "JSON object"],
    ["an empty object", {}, "at least one"],
    ["an unknown key", { rateLimitTokenMax: 3, noSuchSetting: 1 }, "noSuchSetting: unknown setting"],
    ["a setting not editable at run time", { rateLimitTokenMax: 3, port: 9 }, "port: not editable"],
    ["a secret", { rateLimitTokenMax: 3, jwtSecretKey: "x".repeat(40) }, "jwtSecretKey: not editable"],
    ["__proto__", '{"rateLimitTokenMax": 3, "__proto__": {"polluted": 1}}', "__proto__: unknown setting"],
    [
      "a value below the minimum",
      { rateLimitTokenMax: 3, passwordMinLength: 0 },
      "passwordMinLength: expected",
    ],
    ["a value above the maximum", { accessTokenMinutes: 100000 }, "accessTokenMinutes: expected"],
    ["a fraction", { rateLimitTokenMax: 2.5 }, "rateLimitTokenMax: expected a whole number"],
    ["text for a number", { rateLimitTokenMax: "lots" }, "rateLimitTokenMax: expected"],
    ["an object for a number", { rateLimitTokenMax: { $gt: 1 } }, "rateLimitTokenMax: expected"],
    ["an unknown choice", { oauthRegistrationMode: "<script>" }, "expected one of open, approval, none"],
    ["text for a flag", { allowRegistration: "maybe" }, "allowRegistration: expected true or false"],
    ["an oversized value", { rateLimitTokenMax: "9".repeat(100_000) }, "rateLimitTokenMax: expected"],
    [
      "many unknown keys",
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
      "unknown",
    ],
  ];
  for (const [what, body, message] of bad) {
    test(`${what}: 400 naming the problem, nothing changed`, async () => {
      const s = shared;
      const before = JSON.stringify(await s.list());
      const stored = s.g.ctx.db.$client.query("SELECT count(*) AS n FROM runtime_settings").get();
      const response = await s.patch(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error_description: string }).error_description).toContain(message);
      expect(JSON.stringify(await s.list())).toBe(before);
      expect(s.g.ctx.db.$client.query("SELECT count(*) AS n FROM runtime_settings").get()).toEqual(stored);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  test("a change without the CSRF token from a browser session: 403", async () => {
    const s = shared;
    const session = await browserUser(s.g, "root");
    const response = await s.g.request(API, {
      method: "PATCH",
      headers: {
        cookie: session.cookie,
        origin: s.g.ctx.config.publicUrl,
        "content-type": "application/json",
      },
      body: JSON.stringify({ rateLimitTokenMax: 3 }),
    });
    expect(response.status).toBe(403);
    expect(s.g.ctx.config.rateLimitTokenMax).toBe(60);
  });
});

describe("PATCH /admin/api/settings stores", () => {
  test("a change is answered with before and after, recorded as admin_change, and null restores the default", async () => {
    const s = shared;
    const response = await s.patch({ rateLimitTokenMax: "25", oauthRegistrationMode: "approval" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      changed: {
        rateLimitTokenMax: { before: 60, after: 25 },
        oauthRegistrationMode: { before: "open", after: "approval" },
      },
    });
    expect(await s.setting("rateLimitTokenMax")).toMatchObject({
      value: 25,
      source: "admin",
      editable: true,
    });
    const events = s.g.ctx.securityLog.page({ types: ["admin_change"] }, 10, 0).rows;
    expect(events.some((e) => JSON.stringify(e.details).includes("PATCH /admin/api/settings"))).toBe(true);

    expect((await s.patch({ rateLimitTokenMax: null })).status).toBe(200);
    expect(await s.setting("rateLimitTokenMax")).toMatchObject({ value: 60, source: "default" });
    expect(s.g.ctx.config.rateLimitTokenMax).toBe(60);
    expect((await s.patch({ oauthRegistrationMode: null })).status).toBe(200);
  });

  test("a stored value survives a restart and loses to an environment value", async () => {
    const dir = ownDir();
    const env = { RATE_LIMIT_TOKEN_MAX: "" };
    const s = await start(env, { dir });
    gw = s.g;
    expect((await s.patch({ rateLimitTokenMax: 7, accessTokenMinutes: 9 })).status).toBe(200);
    await s.g.close();
    gw = undefined;

    const again = await start(env, { dir });
    second = again.g;
    expect(again.g.ctx.config.rateLimitTokenMax).toBe(7);
    expect(await again.setting("accessTokenMinutes")).toMatchObject({ value: 9, source: "admin" });
    expect((await login(again.g, "root")).expires_in).toBe(9 * 60);
    await again.g.close();
    second = undefined;

    const fixed = await start({ ...env, JWT_ACCESS_TOKEN_EXPIRE_MINUTES: "20" }, { dir });
    second = fixed.g;
    expect(await fixed.setting("accessTokenMinutes")).toMatchObject({
      value: 20,
      source: "environment",
      editable: false,
    });
    expect(await fixed.setting("rateLimitTokenMax")).toMatchObject({ value: 7, source: "admin" });
    expect((await login(fixed.g, "root")).expires_in).toBe(20 * 60);
  });
});

/** The per-IP limits: each one's request, sent with nothing else (the limit is counted first). */
const IP_LIMITS: [name: string, key: string, path: string, init: () => RequestInit][] = [
  ["login", "rateLimitLogin", "/auth/login", () => jsonInit({ username: "nobody", password: "wrong" })],
  ["register", "rateLimitRegister", "/auth/register", () => jsonInit({})],
  ["token", "rateLimitToken", "/oauth/token", () => form({ grant_type: "password" })],
  ["client_registration", "rateLimitClientRegistration", "/oauth/register", () => jsonInit({})],
  ["authorize", "rateLimitAuthorize", "/oauth/authorize", () => form({})],
];

describe("each runtime setting applies from the next request", () => {
  for (const [name, key, path, init] of IP_LIMITS) {
    test(`${key}Max and ${key}Window: the next ${name} request over the new limit gets 429`, async () => {
      const s = shared;
      if (name === "register") expect((await s.patch({ allowRegistration: true })).status).toBe(200);
      expect((await s.patch({ [`${key}Max`]: 2, [`${key}Window`]: 77 })).status).toBe(200);
      expect((await s.g.request(path, init())).status).not.toBe(429);
      expect((await s.g.request(path, init())).status).not.toBe(429);
      const refused = await s.g.request(path, init());
      expect(refused.status).toBe(429);
      expect(refused.headers.get("ratelimit-policy")).toBe(`"${name}";q=2;w=77`);
      // Raised again: the very next request passes.
      expect((await s.patch({ [`${key}Max`]: 3 })).status).toBe(200);
      expect((await s.g.request(path, init())).status).not.toBe(429);
      expect((await s.g.request(path, init())).status).toBe(429);
      // Out of the way of the other tests (a new window starts a new count).
      expect((await s.patch({ [`${key}Max`]: 100000, [`${key}Window`]: 60 })).status).toBe(200);
      if (name === "register") expect((await s.patch({ allowRegistration: null })).status).toBe(200);
    });
  }

  test("allowRegistration: POST /auth/register opens and closes", async () => {
    const s = shared;
    const register = (username: string) =>
      s.g.request(
        "/auth/register",
        jsonInit({ username, email: `${username}@example.test`, password: STRONG_PASSWORD }),
      );
    expect((await register("carol")).status).toBe(403);
    expect((await s.patch({ allowRegistration: true })).status).toBe(200);
    expect([201, 202]).toContain((await register("carol")).status);
    expect((await s.patch({ allowRegistration: false })).status).toBe(200);
    expect((await register("dave")).status).toBe(403);
  });

  test("oauthRegistrationMode: none closes /oauth/register and drops it from the metadata; approval makes clients wait", async () => {
    const s = shared;
    const client = () =>
      s.g.request(
        "/oauth/register",
        jsonInit({ redirect_uris: ["http://127.0.0.1:4567/cb"], token_endpoint_auth_method: "none" }),
      );
    const metadata = async () =>
      (await (await s.g.request("/.well-known/oauth-authorization-server")).json()) as Record<
        string,
        unknown
      >;
    expect((await client()).status).toBe(201);
    expect((await s.patch({ oauthRegistrationMode: "none" })).status).toBe(200);
    expect((await client()).status).toBe(403);
    expect((await metadata()).registration_endpoint).toBeUndefined();
    expect((await s.patch({ oauthRegistrationMode: "approval" })).status).toBe(200);
    const pending = await client();
    expect(pending.status).toBe(201);
    const { client_id } = (await pending.json()) as { client_id: string };
    const row = s.g.ctx.db.$client.query("SELECT status FROM oauth_clients WHERE id = ?").get(client_id);
    expect(row).toEqual({ status: "pending" });
    expect((await s.patch({ oauthRegistrationMode: "open" })).status).toBe(200);
    expect((await client()).status).toBe(201);
  });

  test("oauthCimdEnabled: an https client_id is no longer fetched, and the metadata says so", async () => {
    const s = shared;
    const clientId = encodeURIComponent("https://127.0.0.1:9/client.json");
    const authorize = () =>
      s.g.request(
        `/oauth/authorize?response_type=code&client_id=${clientId}&redirect_uri=${encodeURIComponent("https://127.0.0.1:9/cb")}&code_challenge=${"a".repeat(43)}&code_challenge_method=S256`,
      );
    const metadata = async () =>
      (await (await s.g.request("/.well-known/oauth-authorization-server")).json()) as Record<
        string,
        unknown
      >;
    expect((await metadata()).client_id_metadata_document_supported).toBe(true);
    expect(await (await authorize()).text()).toContain("client metadata document refused");
    expect((await s.patch({ oauthCimdEnabled: false })).status).toBe(200);
    expect((await metadata()).client_id_metadata_document_supported).toBe(false);
    const refused = await (await authorize()).text();
    expect(refused).not.toContain("client metadata document refused");
    expect(refused).toContain("unknown client");
  });

  test("accessTokenMinutes: the next token's exp and expires_in", async () => {
    const s = shared;
    expect((await s.patch({ accessTokenMinutes: 5 })).status).toBe(200);
    const tokens = await login(s.g, "root");
    expect(tokens.expires_in).toBe(300);
    const claims = decodeJwt(tokens.access_token);
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    expect((await s.patch({ accessTokenMinutes: null })).status).toBe(200);
    expect((await login(s.g, "root")).expires_in).toBe(30 * 60);
  });

  test("refreshTokenDays: a refresh token issued after the change lives the new number of days", async () => {
    const s = shared;
    const refresh = (token: string) => s.g.request("/auth/refresh", jsonInit({ refresh_token: token }));
    expect((await s.patch({ refreshTokenDays: 1 })).status).toBe(200);
    const short = await login(s.g, "root");
    s.g.clock.advance(2 * 86_400_000);
    expect((await refresh(short.refresh_token)).status).toBe(401);
    await s.signInAgain();
    expect((await s.patch({ refreshTokenDays: 3 })).status).toBe(200);
    const longer = await login(s.g, "root");
    s.g.clock.advance(2 * 86_400_000);
    expect((await refresh(longer.refresh_token)).status).toBe(200);
  });
});
