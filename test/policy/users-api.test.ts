import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import { createUser, jsonInit, login, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway;
let adminId: string;
let adminToken: string;

beforeEach(async () => {
  gateway = await testGateway();
  adminId = (await createUser(gateway, "root", { isAdmin: true })).id;
  adminToken = (await login(gateway, "root")).access_token;
});
afterEach(async () => {
  await gateway.close();
});

const auth = () => ({ authorization: `Bearer ${adminToken}` });
const GOOD_PASSWORD = "Purple-Otter-77";

interface UserView {
  id: string;
  username: string;
  email: string;
  is_admin: boolean;
  is_active: boolean;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth()) {
  const init: RequestInit =
    body === undefined ? { method, headers } : jsonInit(body, { method, headers: { ...headers } });
  return gateway.request(path, init);
}

async function createViaApi(username: string, extra: Record<string, unknown> = {}): Promise<UserView> {
  const response = await call("POST", "/admin/api/users", {
    username,
    email: `${username}@example.test`,
    password: GOOD_PASSWORD,
    ...extra,
  });
  expect(response.status).toBe(201);
  return (await response.json()) as UserView;
}

const userCount = () => gateway.ctx.users.list().length;

describe("admin API: users", () => {
  test("create, read, list with search and pagination", async () => {
    const bob = await createViaApi("bob");
    expect(bob).toMatchObject({
      username: "bob",
      email: "bob@example.test",
      is_admin: false,
      is_active: true,
    });
    expect(JSON.stringify(bob)).not.toContain("password");
    for (const name of ["carol", "dave", "erin"]) await createViaApi(name);
    const admin = await createViaApi("second-admin", { is_admin: true });
    expect(admin.is_admin).toBe(true);

    const read = await call("GET", `/admin/api/users/${bob.id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as UserView).username).toBe("bob");
    expect((await call("GET", "/admin/api/users/nobody")).status).toBe(404);

    const all = (await (await call("GET", "/admin/api/users")).json()) as {
      users: UserView[];
      total: number;
    };
    expect(all.total).toBe(6);
    const page = (await (await call("GET", "/admin/api/users?limit=2&offset=1")).json()) as {
      users: UserView[];
      total: number;
      limit: number;
      offset: number;
    };
    expect(page).toMatchObject({ total: 6, limit: 2, offset: 1 });
    expect(page.users.map((u) => u.username)).toEqual(all.users.slice(1, 3).map((u) => u.username));
    const found = (await (await call("GET", "/admin/api/users?q=AR")).json()) as {
      users: UserView[];
      total: number;
    };
    expect(found.users.map((u) => u.username)).toEqual(["carol"]);
    // LIKE wildcards in the query are taken literally.
    const wildcard = (await (await call("GET", "/admin/api/users?q=%25")).json()) as { total: number };
    expect(wildcard.total).toBe(0);
    const byEmail = (await (await call("GET", "/admin/api/users?q=erin%40example")).json()) as {
      total: number;
    };
    expect(byEmail.total).toBe(1);
  });

  test("a weak password is refused naming the rules, a taken name or email with 409; nothing is created", async () => {
    const before = userCount();
    const weak = await call("POST", "/admin/api/users", {
      username: "weak",
      email: "w@example.test",
      password: "short",
    });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { error_description: string }).error_description).toContain("password");
    const common = await call("POST", "/admin/api/users", {
      username: "weak",
      email: "w@example.test",
      password: "Password123!",
    });
    expect(common.status).toBe(400);
    const taken = await call("POST", "/admin/api/users", {
      username: "ROOT",
      email: "x@example.test",
      password: GOOD_PASSWORD,
    });
    expect(taken.status).toBe(409);
    const email = await call("POST", "/admin/api/users", {
      username: "other",
      email: "root@example.test",
      password: GOOD_PASSWORD,
    });
    expect(email.status).toBe(409);
    expect(userCount()).toBe(before);

    const bob = await createViaApi("bob");
    const reset = await call("PATCH", `/admin/api/users/${bob.id}`, { password: "short" });
    expect(reset.status).toBe(400);
    expect((await gateway.ctx.users.authenticate("bob", GOOD_PASSWORD))?.id).toBe(bob.id);
  });

  test("malformed, oversized and hostile input → 400 (415 for a wrong type) with a clear message, nothing changed", async () => {
    const bob = await createViaApi("bob");
    const before = JSON.stringify(gateway.ctx.users.list());
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/admin/api/users", { username: "x" }, 400, "username"],
      [
        "POST",
        "/admin/api/users",
        { username: "a b c", email: "e@example.test", password: GOOD_PASSWORD },
        400,
        "username",
      ],
      [
        "POST",
        "/admin/api/users",
        { username: "<script>", email: "e@example.test", password: GOOD_PASSWORD },
        400,
        "username",
      ],
      [
        "POST",
        "/admin/api/users",
        { username: "zed", email: "not an email", password: GOOD_PASSWORD },
        400,
        "email",
      ],
      [
        "POST",
        "/admin/api/users",
        { username: "zed", email: "e@example.test", password: "x".repeat(5000) },
        400,
        "password",
      ],
      [
        "POST",
        "/admin/api/users",
        { username: "zed", email: "e@example.test", password: GOOD_PASSWORD, is_admin: "yes" },
        400,
        "is_admin",
      ],
      [
        "POST",
        "/admin/api/users",
        { username: "zed", email: "e@example.test", password: GOOD_PASSWORD, role: "root" },
        400,
        "body",
      ],
      ["POST", "/admin/api/users", ["zed"], 400, "body"],
      ["PATCH", `/admin/api/users/${bob.id}`, {}, 400, "body"],
      ["PATCH", `/admin/api/users/${bob.id}`, { is_active: "false" }, 400, "is_active"],
      ["PATCH", `/admin/api/users/${bob.id}`, { is_admin: 1 }, 400, "is_admin"],
      ["PATCH", `/admin/api/users/${bob.id}`, { username: "renamed" }, 400, "body"],
      [
        "PATCH",
        `/admin/api/users/${bob.id}`,
        { __proto__: { is_admin: true }, is_active: null },
        400,
        "is_active",
      ],
    ];
    for (const [method, path, body, status, field] of cases) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${JSON.stringify(body)}`).toBe(status);
      const error = (await response.json()) as { error: string; error_description: string };
      expect(error.error).toBe("invalid_request");
      if (field !== "body") expect(error.error_description.startsWith(field)).toBe(true);
    }
    const notJson = await gateway.request("/admin/api/users", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    const wrongType = await gateway.request("/admin/api/users", {
      method: "POST",
      headers: { ...auth(), "content-type": "text/plain" },
      body: "username=zed",
    });
    expect(wrongType.status).toBe(415);
    const huge = await gateway.request("/admin/api/users", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({
        username: "zed",
        email: "e@example.test",
        password: "p".repeat(2 * 1024 * 1024),
      }),
    });
    expect(huge.status).toBe(413);
    for (const query of [
      "limit=0",
      "limit=201",
      "limit=abc",
      "limit=-1",
      "offset=1.5",
      "limit=1&limit=2",
      `q=${"a".repeat(201)}`,
      "sort=name",
    ]) {
      const response = await call("GET", `/admin/api/users?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_request");
    }
    expect(JSON.stringify(gateway.ctx.users.list())).toBe(before);
  });

  test("disable, enable, make and unmake admin, delete", async () => {
    const bob = await createViaApi("bob");
    const disabled = await call("PATCH", `/admin/api/users/${bob.id}`, { is_active: false });
    expect(((await disabled.json()) as UserView).is_active).toBe(false);
    expect(await gateway.ctx.users.authenticate("bob", GOOD_PASSWORD)).toBeNull();
    await call("PATCH", `/admin/api/users/${bob.id}`, { is_active: true });
    expect((await gateway.ctx.users.authenticate("bob", GOOD_PASSWORD))?.id).toBe(bob.id);

    gateway.clock.advance(1000); // disabling revoked bob's tokens issued until then (whole-second iat)
    const promoted = await call("PATCH", `/admin/api/users/${bob.id}`, { is_admin: true });
    expect(((await promoted.json()) as UserView).is_admin).toBe(true);
    const bobToken = (await gateway
      .request("/auth/login", jsonInit({ username: "bob", password: GOOD_PASSWORD }))
      .then((r) => r.json())) as { access_token: string };
    const asBob = { authorization: `Bearer ${bobToken.access_token}` };
    expect((await call("GET", "/admin/api/users", undefined, asBob)).status).toBe(200);
    await call("PATCH", `/admin/api/users/${bob.id}`, { is_admin: false });
    // The role change applies to the token already issued, at its next request.
    expect((await call("GET", "/admin/api/users", undefined, asBob)).status).toBe(403);

    const removed = await call("DELETE", `/admin/api/users/${bob.id}`);
    expect(removed.status).toBe(204);
    expect((await call("GET", `/admin/api/users/${bob.id}`)).status).toBe(404);
    expect((await gateway.request("/auth/me", { headers: asBob })).status).toBe(401);
    expect((await call("DELETE", `/admin/api/users/${bob.id}`)).status).toBe(404);
    expect((await call("PATCH", `/admin/api/users/${bob.id}`, { is_active: true })).status).toBe(404);
  });

  test("an admin cannot disable, demote or delete themselves, so the last admin stays", async () => {
    for (const [method, body] of [
      ["PATCH", { is_active: false }],
      ["PATCH", { is_admin: false }],
      ["DELETE", undefined],
    ] as const) {
      const response = await call(method, `/admin/api/users/${adminId}`, body);
      expect(response.status).toBe(409);
      expect(((await response.json()) as { error_description: string }).error_description).toContain(
        "own account",
      );
    }
    const self = gateway.ctx.users.byId(adminId);
    expect(self?.isAdmin && self.isActive).toBe(true);

    // Another admin may remove root's role; then root's token loses the admin API at its next
    // request, and ops, now the last admin, cannot remove their own.
    const ops = await createViaApi("ops", { is_admin: true });
    const opsToken = (
      (await (
        await gateway.request("/auth/login", jsonInit({ username: "ops", password: GOOD_PASSWORD }))
      ).json()) as {
        access_token: string;
      }
    ).access_token;
    const asOps = { authorization: `Bearer ${opsToken}` };
    expect((await call("PATCH", `/admin/api/users/${adminId}`, { is_admin: false }, asOps)).status).toBe(200);
    expect((await call("GET", "/admin/api/users")).status).toBe(403);
    expect((await call("PATCH", `/admin/api/users/${ops.id}`, { is_admin: false }, asOps)).status).toBe(409);
    expect((await call("DELETE", `/admin/api/users/${ops.id}`, undefined, asOps)).status).toBe(409);
    expect(gateway.ctx.users.byId(ops.id)?.isAdmin).toBe(true);
  });

  test("an admin browser session manages users with the CSRF token; without it 403", async () => {
    const bob = await createViaApi("bob");
    const session = gateway.ctx.browserSessions.create(adminId, null);
    const cookie = `${sessionCookieName(gateway.ctx.config.publicUrl)}=${session.cookieValue}`;
    const origin = new URL(gateway.ctx.config.publicUrl).origin;
    expect((await call("GET", "/admin/api/users", undefined, { cookie })).status).toBe(200);
    const noCsrf = await call(
      "PATCH",
      `/admin/api/users/${bob.id}`,
      { is_active: false },
      { cookie, origin },
    );
    expect(noCsrf.status).toBe(403);
    expect(gateway.ctx.users.byId(bob.id)?.isActive).toBe(true);
    const csrf = gateway.ctx.browserSessions.csrfToken(session.session);
    const ok = await call(
      "PATCH",
      `/admin/api/users/${bob.id}`,
      { is_active: false },
      {
        cookie,
        origin,
        "x-csrf-token": csrf,
      },
    );
    expect(ok.status).toBe(200);
    expect(gateway.ctx.users.byId(bob.id)?.isActive).toBe(false);
  });

  test("non-admins get 403, no credential 401", async () => {
    await createUser(gateway, "alice");
    const alice = (await login(gateway, "alice")).access_token;
    expect(
      (await call("GET", "/admin/api/users", undefined, { authorization: `Bearer ${alice}` })).status,
    ).toBe(403);
    expect(
      (await call("POST", "/admin/api/users", { username: "x" }, { authorization: `Bearer ${alice}` }))
        .status,
    ).toBe(403);
    expect((await call("GET", "/admin/api/users", undefined, {})).status).toBe(401);
  });
});
