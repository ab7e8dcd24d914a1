import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
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
  readSetupCode,
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
      setup_code: "anything",
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
    const code = readSetupCode(gateway);
    const results = await Promise.all(
      jars.map((jar, i) =>
        postForm(gateway, jar, "/setup", {
          _csrf: tokens[i] as string,
          setup_code: code,
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

describe("the one-time setup code", () => {
  const codeFile = () => join(gateway.ctx.config.dataDir, "setup-code");
  const submit = async (code: string, jar = new Jar()) => {
    const token = await formToken(gateway, jar, "/setup");
    return postForm(gateway, jar, "/setup", {
      _csrf: token,
      setup_code: code,
      username: ADMIN.username,
      email: ADMIN.email,
      password: ADMIN.password,
      password_confirm: ADMIN.password,
    });
  };

  test("is written at first start to a 0600 file in the data directory, and the form asks for it", async () => {
    expect(statSync(codeFile()).mode & 0o777).toBe(0o600);
    expect(readSetupCode(gateway)).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const { html } = await getPage(gateway, new Jar(), "/setup");
    expect(parseElements(html, 'input[name="setup_code"]')).toHaveLength(1);
    expect(html).toContain("setup code");
  });

  test.each([
    ["a wrong code", "AAAA-BBBB-CCCC-DDDD-EEEE"],
    ["no code", ""],
  ])(
    "%s: the form again with a message, the values kept but not the code, nothing created",
    async (_what, code) => {
      const { response, html } = await submit(code);
      expect(response.status).toBe(400);
      expect(html).toContain("Setup code: not the code in force.");
      expect(html).toContain(`value="${ADMIN.username}"`);
      expect(parseElements(html, 'input[name="setup_code"]')[0]?.value).toBe("");
      expect(gateway.ctx.users.list()).toHaveLength(0);
      expect(response.headers.getSetCookie().some((c) => c.startsWith("authmcp_session="))).toBe(false);
      expect(existsSync(codeFile())).toBe(true);
      expect(gateway.logs.some((l) => l.includes("a wrong setup code was submitted"))).toBe(true);
    },
  );

  test("the code is accepted as a person types it (lower case, spaces); then the file is removed", async () => {
    const typed = readSetupCode(gateway).toLowerCase().replaceAll("-", " ");
    const { response } = await submit(` ${typed} `);
    expect(response.status).toBe(303);
    expect(adminCount(gateway)).toBe(1);
    expect(existsSync(codeFile())).toBe(false);
    expect((await gateway.request("/setup")).status).toBe(404);
  });

  test("a weak password with the right code keeps the code in the form", async () => {
    const code = readSetupCode(gateway);
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/setup");
    const { response, html } = await postForm(gateway, jar, "/setup", {
      _csrf: token,
      setup_code: code,
      username: ADMIN.username,
      email: ADMIN.email,
      password: "abc",
      password_confirm: "abc",
    });
    expect(response.status).toBe(400);
    expect(parseElements(html, 'input[name="setup_code"]')[0]?.value).toBe(code);
  });

  test("a restart issues a new code and the old one stops working", async () => {
    const old = readSetupCode(gateway);
    const again = await testGateway({}, { dir: gateway.dir });
    try {
      const fresh = readSetupCode(again);
      expect(fresh).not.toBe(old);
      expect((await submit(old)).response.status).toBe(400);
      expect(adminCount(gateway)).toBe(0);
    } finally {
      await again.close();
    }
  });

  test("an administrator made on the command line removes the code: at the next visit and at restart", async () => {
    await createUser(gateway, "cli-admin", { isAdmin: true });
    expect(existsSync(codeFile())).toBe(true);
    expect((await gateway.request("/setup")).status).toBe(404);
    expect(existsSync(codeFile())).toBe(false);
    // A code left behind (an admin created while the gateway was down) is removed at start.
    await Bun.write(codeFile(), "LEFT-OVER\n");
    const again = await testGateway({}, { dir: gateway.dir });
    await again.close();
    expect(existsSync(codeFile())).toBe(false);
  });

  test("wrong codes are rate-limited like logins", async () => {
    const limited = await testGateway({ RATE_LIMIT_LOGIN_MAX: "3" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const jar = new Jar();
        const token = await formToken(limited, jar, "/setup");
        const { response } = await postForm(limited, jar, "/setup", {
          _csrf: token,
          setup_code: `WRONG-${i}`,
          username: ADMIN.username,
          email: ADMIN.email,
          password: ADMIN.password,
          password_confirm: ADMIN.password,
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
      // Even the right code waits out the limit.
      const jar = new Jar();
      const token = await formToken(limited, jar, "/setup");
      const right = await postForm(limited, jar, "/setup", {
        _csrf: token,
        setup_code: readSetupCode(limited),
        username: ADMIN.username,
        email: ADMIN.email,
        password: ADMIN.password,
        password_confirm: ADMIN.password,
      });
      expect(right.response.status).toBe(429);
      expect(limited.ctx.users.list()).toHaveLength(0);
    } finally {
      await limited.close();
    }
  });
});

describe("validation", () => {
  const submit = async (fields: Partial<Record<string, string>>) => {
    const jar = new Jar();
    const token = await formToken(gateway, jar, "/setup");
    return postForm(gateway, jar, "/setup", {
      _csrf: token,
      setup_code: readSetupCode(gateway),
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
    const { response } = await postForm(gateway, jar, "/setup", {
      _csrf: token,
      setup_code: readSetupCode(gateway),
    });
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
    const result = await service.createFirstAdmin({
      ...ADMIN,
      passwordConfirm: ADMIN.password,
      setupCode: readSetupCode(gateway),
    });
    expect(result).toEqual({ ok: false, kind: "closed" });
    expect(adminCount(gateway)).toBe(1);
    const loser = users.list().find((u) => u.username === ADMIN.username);
    expect(loser).toMatchObject({ isAdmin: false, isActive: false });
    expect(await users.authenticate(ADMIN.username, ADMIN.password)).toBeNull();
  });
});
