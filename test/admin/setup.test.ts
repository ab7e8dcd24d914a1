import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { SetupService } from "../../src/web/setup-service.ts";
import { createUser, type TestGateway, testGateway } from "../support/context.ts";
import {
  ADMIN,
  adminCount,
  completeSetup,
  formToken,
  getPage,
  hiddenValue,
  Jar,
  parseElements,
  postForm,
} from "./web.ts";

let gateway: TestGateway;
beforeEach(async () => {
  gateway = await testGateway();
});
afterEach(async () => {
  await gateway.close();
});

describe("first run", () => {
  test("GET / sends a first-run visitor to /setup", async () => {
    const response = await gateway.request("/");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/setup");
  });

  test("the wizard shows a form with a CSRF token matching its cookie", async () => {
    const jar = new Jar();
    const { response, html } = await getPage(gateway, jar, "/setup");
    expect(response.status).toBe(200);
    for (const field of ["username", "email", "password", "password_confirm"]) {
      expect(html).toContain(`name="${field}"`);
    }
    expect(hiddenValue(html, "_csrf")).toBe(jar.cookies.get("authmcp_csrf") as string);
    expect(response.headers.get("set-cookie")).toMatch(
      /^authmcp_csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict/,
    );
  });

  test("completing it creates one admin, logs them in and lands on the dashboard", async () => {
    const jar = new Jar();
    const { response } = await completeSetup(gateway, jar);
    expect(response.headers.get("location")).toBe("/admin/");
    expect(adminCount(gateway)).toBe(1);
    const dashboard = await getPage(gateway, jar, "/admin/");
    expect(dashboard.response.status).toBe(200);
    expect(dashboard.html).toContain(ADMIN.username);
  });
});

describe("the wizard appears once only", () => {
  test("after setup, GET and POST /setup are 404 and never create another admin", async () => {
    const first = new Jar();
    await completeSetup(gateway, first);
    const get = await getPage(gateway, new Jar(), "/setup");
    expect(get.response.status).toBe(404);
    expect(get.html).not.toContain('name="password"');

    // Even with a valid form token from before, a second submission is refused.
    const other = new Jar();
    const fresh = new Jar();
    await getPage(gateway, fresh, "/login");
    const token = fresh.cookies.get("authmcp_csrf") as string;
    other.cookies.set("authmcp_csrf", token);
    const post = await postForm(gateway, other, "/setup", {
      _csrf: token,
      username: "second-admin",
      email: "second@example.test",
      password: ADMIN.password,
      password_confirm: ADMIN.password,
    });
    expect(post.response.status).toBe(404);
    expect(post.response.headers.get("set-cookie")).toBeNull();
    expect(adminCount(gateway)).toBe(1);
    expect(gateway.ctx.users.list().map((u) => u.username)).toEqual([ADMIN.username]);
  });

  test("an admin created another way (CLI) closes the wizard too", async () => {
    await createUser(gateway, "cli-admin", { isAdmin: true });
    expect((await gateway.request("/setup")).status).toBe(404);
    const home = await gateway.request("/");
    expect(home.headers.get("location")).toBe("/login?return_to=/admin/");
  });

  test("two concurrent submissions create exactly one admin", async () => {
    const jars = [new Jar(), new Jar(), new Jar()];
    const tokens = await Promise.all(jars.map((jar) => formToken(gateway, jar, "/setup")));
    const results = await Promise.all(
      jars.map((jar, i) =>
        postForm(gateway, jar, "/setup", {
          _csrf: tokens[i] as string,
          username: `admin-${i}`,
          email: `admin-${i}@example.test`,
          password: ADMIN.password,
          password_confirm: ADMIN.password,
        }),
      ),
    );
    const statuses = results.map((r) => r.response.status).sort();
    expect(statuses).toEqual([303, 404, 404]);
    expect(adminCount(gateway)).toBe(1);
    expect(gateway.ctx.users.list()).toHaveLength(1);
  });

  test("a user that is not an admin does not close the wizard", async () => {
    await createUser(gateway, "plain-user");
    expect((await gateway.request("/setup")).status).toBe(200);
  });
});

describe("validation", () => {
  const submit = async (fields: Partial<Record<string, string>>) => {
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/setup");
    return postForm(gateway, jar, "/setup", {
      _csrf: token,
      username: ADMIN.username,
      email: ADMIN.email,
      password: ADMIN.password,
      password_confirm: ADMIN.password,
      ...(fields as Record<string, string>),
    });
  };

  test("a weak password names every rule broken and keeps the entered values", async () => {
    const { response, html } = await submit({ password: "abc", password_confirm: "abc" });
    expect(response.status).toBe(400);
    expect(html).toContain("at least 8 characters");
    expect(html).toContain("an uppercase letter");
    expect(html).toContain("a digit");
    expect(html).toContain("a character that is not a letter or digit");
    expect(html).toContain(`value="${ADMIN.username}"`);
    expect(html).toContain(`value="${ADMIN.email}"`);
    expect(html).not.toContain('value="abc"');
    expect(adminCount(gateway)).toBe(0);
  });

  test("mismatched confirmation is refused", async () => {
    const { response, html } = await submit({ password_confirm: "Correct-Horse-8" });
    expect(response.status).toBe(400);
    expect(html).toContain("The two passwords do not match.");
    expect(gateway.ctx.users.list()).toHaveLength(0);
  });

  test("a bad username and a bad email are both reported", async () => {
    const { response, html } = await submit({ username: "a", email: "not-an-email" });
    expect(response.status).toBe(400);
    expect(html).toContain("Username:");
    expect(html).toContain("Email:");
    expect(gateway.ctx.users.list()).toHaveLength(0);
  });

  test("a username or email already taken (by a non-admin) is reported", async () => {
    await createUser(gateway, ADMIN.username);
    const { response, html } = await submit({});
    expect(response.status).toBe(400);
    expect(html).toContain("Username is already taken.");
    expect(adminCount(gateway)).toBe(0);
    expect(gateway.ctx.users.list()).toHaveLength(1);
  });

  test("missing fields are refused without a 500", async () => {
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/setup");
    const { response } = await postForm(gateway, jar, "/setup", { _csrf: token });
    expect(response.status).toBe(400);
    expect(gateway.ctx.users.list()).toHaveLength(0);
  });

  test("hostile values are shown escaped", async () => {
    const hostile = '"><script>alert(1)</script>';
    const { response, html } = await submit({ username: hostile, email: `${hostile}@x.test` });
    expect(response.status).toBe(400);
    // Inside a double-quoted attribute only the quote can end the value: it must be escaped.
    expect(html).not.toContain('"><script>');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    // A real HTML parser sees only our two scripts and the value intact in its attribute.
    expect(parseElements(html, "script").map((s) => s.src)).toEqual([
      expect.stringMatching(/^\/static\/htmx\.min\.js/),
      "/static/app.js",
    ]);
    // (HTMLRewriter reports attribute text undecoded.)
    expect(parseElements(html, 'input[name="username"]')[0]?.value).toBe(
      "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
    );
  });
});

describe("another process finishing setup first", () => {
  test("the account made by the losing submission is neither admin nor usable", async () => {
    // Simulates a second process (or the CLI) creating an admin while this one hashes the password.
    const users = gateway.ctx.users;
    const realCreate = users.create.bind(users);
    users.create = async (input) => {
      users.create = realCreate;
      await realCreate({
        username: "cli-admin",
        email: "cli@example.test",
        password: ADMIN.password,
        isAdmin: true,
      });
      return realCreate(input);
    };
    const service = new SetupService(gateway.ctx);
    const result = await service.createFirstAdmin({ ...ADMIN, passwordConfirm: ADMIN.password });
    expect(result).toEqual({ ok: false, kind: "closed" });
    expect(adminCount(gateway)).toBe(1);
    const loser = users.list().find((u) => u.username === ADMIN.username);
    expect(loser).toMatchObject({ isAdmin: false, isActive: false });
    expect(await users.authenticate(ADMIN.username, ADMIN.password)).toBeNull();
  });
});
