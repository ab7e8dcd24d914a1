import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { browserLogin, getPage, hiddenValue, Jar, parseElements, postForm } from "../admin/web.ts";
import { createUser, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

const SECRET = "form-secret-Kp27w";
const NEW_SECRET = "rotated-secret-Vb93q";
const HOSTILE = "<script>alert('x')</script>";
const HOSTILE_DESCRIPTION = '<img src=x onerror="alert(1)"> & </td></tr>';

/**
 * A stateless MCP backend answering JSON with tools, resources, templates and prompts whose names
 * and descriptions are hostile HTML. It records each request's Authorization header and method.
 */
function hostileBackend() {
  const seen: { authorization: string | null; method: string }[] = [];
  const results: Record<string, unknown> = {
    initialize: {
      protocolVersion: "2025-06-18",
      capabilities: { tools: {}, prompts: {}, resources: {} },
      serverInfo: { name: "hostile", version: "1" },
    },
    "tools/list": {
      tools: [
        { name: HOSTILE, description: HOSTILE_DESCRIPTION, inputSchema: { type: "object" } },
        { name: "echo", description: "Echoes", inputSchema: { type: "object" } },
      ],
    },
    "prompts/list": { prompts: [{ name: `prompt-${HOSTILE}`, description: HOSTILE_DESCRIPTION }] },
    "resources/list": {
      resources: [{ uri: "file:///<b>bold</b>", name: `res-${HOSTILE}`, description: HOSTILE_DESCRIPTION }],
    },
    "resources/templates/list": {
      resourceTemplates: [{ uriTemplate: "file:///{path}", name: `tpl-${HOSTILE}` }],
    },
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as { id?: number | string; method: string };
      seen.push({ authorization: request.headers.get("authorization"), method: message.method });
      if (message.id === undefined) return new Response(null, { status: 202 });
      return Response.json({ jsonrpc: "2.0", id: message.id, result: results[message.method] ?? {} });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/mcp`, seen, stop: () => server.stop(true) };
}

let gateway: TestGateway;
let backend: ReturnType<typeof hostileBackend>;
let aliceId: string;
/** Every security event as recorded (the stored log is written in batches). */
const recorded: { type: string; details: string }[] = [];

beforeAll(async () => {
  gateway = await testGateway();
  gateway.ctx.securityEvents.subscribe((event) =>
    recorded.push({ type: event.type, details: JSON.stringify(event.details) }),
  );
  await createUser(gateway, "root", { isAdmin: true });
  aliceId = (await createUser(gateway, "alice")).id;
  backend = hostileBackend();
});
afterAll(() => {
  backend?.stop();
  gateway?.close();
});

const registry = () => gateway.app.decorator.gateway.registry;
const policy = () => gateway.app.decorator.gateway.policy;

async function signedIn(username = "root") {
  const jar = new Jar();
  const result = await browserLogin(gateway, jar, username, STRONG_PASSWORD, "/admin/");
  expect(result.response.status).toBe(303);
  return jar;
}

async function csrfOf(jar: Jar, path = "/admin/servers") {
  return hiddenValue((await getPage(gateway, jar, path)).html, "_csrf") as string;
}

/** The problems shown next to each field of a page. */
function fieldErrors(html: string): Record<string, string> {
  const errors: Record<string, string> = {};
  let current: string | undefined;
  new HTMLRewriter()
    .on("[data-error-for]", {
      element(el) {
        current = el.getAttribute("data-error-for") ?? undefined;
        if (current) errors[current] = "";
      },
    })
    .on("[data-error-for] span", {
      text(chunk) {
        if (current) errors[current] += chunk.text;
      },
    })
    .transform(html);
  return errors;
}

const httpServer = (name: string, extra: Record<string, string> = {}) => ({
  name,
  display_name: "",
  transport: "streamable-http",
  url: backend.url,
  user_context: "none",
  credential_type: "bearer",
  credential_token: SECRET,
  auth_required: "on",
  enabled: "on",
  scopes: "",
  timeout_ms: "",
  ...extra,
});

async function addServer(jar: Jar, fields: Record<string, string>) {
  return postForm(gateway, jar, "/admin/servers/new", { _csrf: await csrfOf(jar), ...fields });
}

describe("admin MCP server forms", () => {
  test("add: the new server's page, then the list with its health; the credential is used, never shown", async () => {
    const jar = await signedIn();
    const form = await getPage(gateway, jar, "/admin/servers/new");
    expect(form.response.status).toBe(200);
    expect(parseElements(form.html, "input[name=url]")).toHaveLength(1);
    expect(parseElements(form.html, "input[name=command]")).toHaveLength(1);

    const added = await addServer(jar, httpServer("notes", { display_name: "Notes <b>" }));
    expect(added.response.status).toBe(201);
    expect(added.html).toContain("Server notes added.");
    expect(added.html).toContain("Notes &lt;b&gt;");
    expect(added.html).toContain("bearer (value not shown)");
    const server = registry().byName("notes");
    expect(server?.credentialKind).toBe("bearer");
    expect(await registry().credential(server?.id ?? "")).toEqual({ kind: "bearer", token: SECRET });

    const list = await getPage(gateway, jar, "/admin/servers");
    const row = parseElements(list.html, `tr[data-server="${server?.id}"]`);
    expect(row).toHaveLength(1);
    expect(list.html).toContain("health-unknown");
    await gateway.app.decorator.gateway.health.check(server!);
    const checked = await getPage(gateway, jar, "/admin/servers");
    const notesRow = checked.html.slice(checked.html.indexOf(`data-server="${server?.id}"`));
    expect(notesRow.slice(0, notesRow.indexOf("</tr>"))).toContain("online");

    const tested = await postForm(gateway, jar, `/admin/servers/${server?.id}/test`, {
      _csrf: await csrfOf(jar),
    });
    expect(tested.html).toContain("2 tools listed");
    expect(backend.seen.some((one) => one.authorization === `Bearer ${SECRET}`)).toBe(true);

    for (const path of [
      "/admin/servers",
      `/admin/servers/${server?.id}`,
      `/admin/servers/${server?.id}/edit`,
    ]) {
      expect((await getPage(gateway, jar, path)).html).not.toContain(SECRET);
    }
    expect(added.html).not.toContain(SECRET);
    expect(tested.html).not.toContain(SECRET);
    // The admin_change event names the change, never the credential.
    const changes = recorded.filter((event) => event.type === "admin_change");
    expect(changes.some((event) => event.details.includes("/admin/servers/new"))).toBe(true);
    expect(recorded.some((event) => event.details.includes(SECRET))).toBe(false);
  });

  test("validation: each problem next to its field, the values kept, secrets never echoed, nothing created", async () => {
    const jar = await signedIn();
    const count = registry().list().length;
    const bad = await addServer(
      jar,
      httpServer("Bad Name!", { url: "ftp://x", timeout_ms: "12", scopes: "ok", display_name: "Kept <i>" }),
    );
    expect(bad.response.status).toBe(400);
    const errors = fieldErrors(bad.html);
    expect(Object.keys(errors).sort()).toEqual(["name", "timeout_ms", "url"]);
    expect(errors.name).toContain("expected 1–32 of a-z");
    expect(parseElements(bad.html, "input[name=name]")[0]?.value).toBe("Bad Name!");
    expect(parseElements(bad.html, "input[name=display_name]")[0]?.value).toBe("Kept <i>");
    expect(parseElements(bad.html, "i")).toHaveLength(0);
    expect(parseElements(bad.html, "input[name=scopes]")[0]?.value).toBe("ok");
    expect(parseElements(bad.html, "input[name=credential_token]")[0]?.value).toBeUndefined();
    expect(bad.html).not.toContain(SECRET);

    // The API's own checks beyond the schema: where the URL leads, a missing bearer token, a taken name.
    const metadata = await addServer(jar, httpServer("meta", { url: "http://169.254.169.254/mcp" }));
    expect(metadata.response.status).toBe(400);
    expect(Object.keys(fieldErrors(metadata.html))).toEqual(["url"]);
    const noToken = await addServer(jar, httpServer("no-token", { credential_token: "" }));
    expect(noToken.response.status).toBe(400);
    expect(Object.keys(fieldErrors(noToken.html))).toEqual(["credential_token"]);
    const badHeaders = await addServer(
      jar,
      httpServer("bad-headers", { credential_type: "headers", credential_headers: `no colon ${SECRET}` }),
    );
    expect(Object.keys(fieldErrors(badHeaders.html))).toEqual(["credential_headers"]);
    expect(badHeaders.html).not.toContain(SECRET);
    const stdio = await addServer(jar, {
      ...httpServer("tool"),
      transport: "stdio",
      command: "definitely-not-a-command-xyz",
    });
    expect(stdio.response.status).toBe(400);
    expect(Object.keys(fieldErrors(stdio.html))).toEqual(["command"]);
    await addServer(jar, httpServer("taken"));
    const taken = await addServer(jar, httpServer("taken"));
    expect(taken.response.status).toBe(409);
    expect(fieldErrors(taken.html).name).toContain("a server with this name exists");
    expect(registry().list().length).toBe(count + 1);
  });

  test("edit: empty credential fields keep the stored credential; a new one replaces it; 'none' removes it", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("editable"));
    const server = registry().byName("editable")!;
    const edit = await getPage(gateway, jar, `/admin/servers/${server.id}/edit`);
    expect(edit.response.status).toBe(200);
    expect(parseElements(edit.html, "option[value=keep][selected]")).toHaveLength(1);
    expect(edit.html).not.toContain(SECRET);

    const save = (fields: Record<string, string>) =>
      csrfOf(jar).then((csrf) =>
        postForm(gateway, jar, `/admin/servers/${server.id}/edit`, {
          _csrf: csrf,
          ...httpServer("editable", { credential_token: "" }),
          ...fields,
        }),
      );
    const kept = await save({ display_name: "Renamed", credential_type: "keep", timeout_ms: "5000" });
    expect(kept.response.status).toBe(200);
    expect(kept.html).toContain("Changes saved.");
    expect(registry().byId(server.id)?.displayName).toBe("Renamed");
    expect(registry().byId(server.id)?.timeoutMs).toBe(5000);
    expect(await registry().credential(server.id)).toEqual({ kind: "bearer", token: SECRET });

    const refused = await save({ url: "", credential_type: "bearer", credential_token: NEW_SECRET });
    expect(refused.response.status).toBe(400);
    expect(Object.keys(fieldErrors(refused.html))).toEqual(["url"]);
    expect(refused.html).not.toContain(NEW_SECRET);
    expect(await registry().credential(server.id)).toEqual({ kind: "bearer", token: SECRET });

    const replaced = await save({ credential_type: "bearer", credential_token: NEW_SECRET });
    expect(replaced.response.status).toBe(200);
    expect(await registry().credential(server.id)).toEqual({ kind: "bearer", token: NEW_SECRET });
    expect(replaced.html).not.toContain(NEW_SECRET);

    const removed = await save({ credential_type: "none" });
    expect(removed.response.status).toBe(200);
    expect(registry().byId(server.id)?.credentialKind).toBe("none");
    expect(await registry().credential(server.id)).toEqual({ kind: "none" });
    const after = await getPage(gateway, jar, `/admin/servers/${server.id}/edit`);
    expect(parseElements(after.html, "option[value=keep]")).toHaveLength(0);
  });

  test("stdio: command, arguments and environment; env values write-only, kept on edit unless removed", async () => {
    const jar = await signedIn();
    const ENV_SECRET = "env-secret-Qm55t";
    const stdio = {
      ...httpServer("local-tool", { credential_type: "none", credential_token: "" }),
      transport: "stdio",
      // Fields of the other transport are ignored (a browser without :has() shows them all).
      url: "http://ignored.example/mcp",
      command: "/bin/sh",
      args: "-c\nexit 0",
      env: `API_KEY=${ENV_SECRET}\nMODE=test`,
    };
    const added = await addServer(jar, stdio);
    expect(added.response.status).toBe(201);
    expect(added.html).toContain("API_KEY, MODE (values not shown)");
    expect(added.html).not.toContain(ENV_SECRET);
    const server = registry().byName("local-tool")!;
    expect(server.stdio).toMatchObject({
      command: "/bin/sh",
      args: ["-c", "exit 0"],
      envNames: ["API_KEY", "MODE"],
    });
    expect(server.url).toBe("");
    const edit = await getPage(gateway, jar, `/admin/servers/${server.id}/edit`);
    expect(edit.html).not.toContain(ENV_SECRET);
    expect(parseElements(edit.html, "textarea[name=env]")).toHaveLength(1);

    const save = async (fields: Record<string, string>) =>
      postForm(gateway, jar, `/admin/servers/${server.id}/edit`, {
        _csrf: await csrfOf(jar),
        ...stdio,
        env: "",
        ...fields,
      });
    expect((await save({ args: "-c\nexit 1" })).response.status).toBe(200);
    expect(registry().byId(server.id)?.stdio?.args).toEqual(["-c", "exit 1"]);
    expect(await registry().stdioEnv(server.id)).toEqual({ API_KEY: ENV_SECRET, MODE: "test" });
    expect((await save({ env_clear: "on" })).response.status).toBe(200);
    expect(await registry().stdioEnv(server.id)).toEqual({});
    expect(registry().byId(server.id)?.stdio?.envNames).toEqual([]);
  });

  test("delete: a confirmation step, then the server, its grants and its credential are gone", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("doomed"));
    const server = registry().byName("doomed")!;
    policy().addGrant({
      serverId: server.id,
      principalType: "user",
      principalId: aliceId,
      allowedTools: null,
      deniedTools: [],
    });
    const detail = await getPage(gateway, jar, `/admin/servers/${server.id}`);
    expect(parseElements(detail.html, `a[href="/admin/servers/${server.id}/delete"]`)).toHaveLength(1);
    const confirm = await getPage(gateway, jar, `/admin/servers/${server.id}/delete`);
    expect(confirm.response.status).toBe(200);
    expect(confirm.html).toContain("its 1 grant and its stored credential are removed");
    expect(registry().byId(server.id)).toBeDefined();
    const deleted = await postForm(gateway, jar, `/admin/servers/${server.id}/delete`, {
      _csrf: await csrfOf(jar),
    });
    expect(deleted.response.status).toBe(200);
    expect(deleted.html).toContain("Server doomed deleted.");
    expect(parseElements(deleted.html, `tr[data-server="${server.id}"]`)).toHaveLength(0);
    expect(registry().byId(server.id)).toBeUndefined();
    expect(policy().grantsOf(server.id)).toEqual([]);
    expect((await getPage(gateway, jar, `/admin/servers/${server.id}`)).response.status).toBe(404);
  });

  test("a config-file server is read-only in the pages, with the reason", async () => {
    const configured = await testGateway({}, { configFile: await configFile() });
    try {
      await createUser(configured, "root", { isAdmin: true });
      const jar = new Jar();
      await browserLogin(configured, jar, "root", STRONG_PASSWORD, "/admin/");
      const id = "cfg-fromfile";
      const detail = await getPage(configured, jar, `/admin/servers/${id}`);
      expect(detail.html).toContain("comes from the config file");
      expect(parseElements(detail.html, `a[href="/admin/servers/${id}/edit"]`)).toHaveLength(0);
      expect((await getPage(configured, jar, `/admin/servers/${id}/edit`)).response.status).toBe(409);
      const csrf = hiddenValue(detail.html, "_csrf") as string;
      const post = await postForm(configured, jar, `/admin/servers/${id}/delete`, { _csrf: csrf });
      expect(post.response.status).toBe(409);
      expect(post.html).toContain("change it there");
      expect(configured.app.decorator.gateway.registry.byId(id)).toBeDefined();
    } finally {
      await configured.close();
    }
  });
});

async function configFile(): Promise<string> {
  const path = `${gateway.dir}/gateway.yaml`;
  await Bun.write(path, `mcp_services:\n  fromfile:\n    name: From file\n    url: ${backend.url}\n`);
  return path;
}

describe("a server's tools, resources, prompts and grants", () => {
  test("hostile names and descriptions from the backend are shown as text (fragment and page)", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("lists"));
    const server = registry().byName("lists")!;
    const detail = await getPage(gateway, jar, `/admin/servers/${server.id}`);
    expect(parseElements(detail.html, "#discovered[hx-get]")[0]?.["hx-get"]).toBe(
      `/admin/servers/${server.id}/discovered`,
    );
    const fragment = jar.take(
      await gateway.request(`/admin/servers/${server.id}/discovered`, {
        headers: { cookie: jar.header(), "hx-request": "true" },
      }),
    );
    const html = await fragment.text();
    expect(fragment.status).toBe(200);
    expect(html).not.toContain("<html");
    expect(parseElements(html, "tr[data-discovered=tool]")).toHaveLength(2);
    expect(parseElements(html, "tr[data-discovered=prompt]")).toHaveLength(1);
    expect(parseElements(html, "tr[data-discovered=resource]")).toHaveLength(1);
    expect(parseElements(html, "tr[data-discovered=template]")).toHaveLength(1);
    expect(html).toContain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;/td&gt;&lt;/tr&gt;");
    expect(html).toContain("file:///&lt;b&gt;bold&lt;/b&gt;");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");

    const page = await getPage(gateway, jar, `/admin/servers/${server.id}/discovered`);
    expect(page.html).toContain("<html");
    expect(parseElements(page.html, "tr[data-discovered=tool]")).toHaveLength(2);
    expect(page.html).not.toContain("<script>alert");

    // The tools are in the gateway's catalog now: the grant form offers them, escaped.
    const after = await getPage(gateway, jar, `/admin/servers/${server.id}`);
    const boxes = parseElements(after.html, "#add-grant input[type=checkbox]").map((box) => box.name);
    expect(boxes).toContain("allow_tool:echo");
    expect(boxes).toContain(`deny_tool:${HOSTILE}`);
    // In a quoted attribute the text stays an attribute value: no element comes of it.
    const scripts = parseElements(after.html, "script").map((script) => script.src ?? "inline");
    expect(scripts.map((src) => src.replace(/\?.*$/, ""))).toEqual(["/static/htmx.min.js", "/static/app.js"]);
  });

  test("a backend that does not answer: the exact error, not a 500", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("gone", { url: "http://127.0.0.1:9/mcp", credential_type: "none" }));
    const server = registry().byName("gone")!;
    const page = await getPage(gateway, jar, `/admin/servers/${server.id}/discovered`);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain("could not be listed");
    expect(page.html).toContain("Unable to connect");
  });

  test("grants: add to a user with chosen and typed tools, to a group; 404 and 409 as the API; delete", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("granted"));
    const server = registry().byName("granted")!;
    await getPage(gateway, jar, `/admin/servers/${server.id}/discovered`);
    const grant = async (fields: Record<string, string>) =>
      postForm(gateway, jar, `/admin/servers/${server.id}/grants`, { _csrf: await csrfOf(jar), ...fields });

    const added = await grant({
      principal_type: "user",
      principal: "alice",
      "allow_tool:echo": "on",
      allowed_tools: "typed-one, typed-two",
      denied_tools: "danger",
    });
    expect(added.response.status).toBe(201);
    expect(added.html).toContain("Granted to the user alice.");
    const grants = policy().grantsOf(server.id);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      principalType: "user",
      principalId: aliceId,
      allowedTools: ["echo", "typed-one", "typed-two"],
      deniedTools: ["danger"],
    });
    const row = parseElements(added.html, `tr[data-grant="${grants[0]?.id}"]`);
    expect(row).toHaveLength(1);
    expect(added.html).toContain("only echo, typed-one, typed-two; never danger");

    const again = await grant({ principal_type: "user", principal: "alice" });
    expect(again.response.status).toBe(409);
    expect(again.html).toContain("already has grant");
    const unknown = await grant({ principal_type: "user", principal: "nobody", allowed_tools: "kept-tool" });
    expect(unknown.response.status).toBe(404);
    expect(fieldErrors(unknown.html).principal).toBe("no such user");
    expect(parseElements(unknown.html, "input[name=principal]")[0]?.value).toBe("nobody");
    expect(unknown.html).toContain("kept-tool");
    const tooLong = await grant({
      principal_type: "user",
      principal: "alice",
      denied_tools: "x".repeat(129),
    });
    expect(tooLong.response.status).toBe(400);
    expect(fieldErrors(tooLong.html).denied_tools).toContain("at most 128 characters");

    const group = gateway.app.decorator.gateway.groups.create({ name: "ops <team>" });
    if (!group.ok) throw new Error(group.message);
    const toGroup = await grant({ principal_type: "group", principal: "ops <team>" });
    expect(toGroup.response.status).toBe(201);
    expect(toGroup.html).toContain("Group ops &lt;team&gt;");
    expect(policy().grantsOf(server.id)).toHaveLength(2);

    const first = grants[0]?.id as string;
    const removed = await postForm(gateway, jar, `/admin/servers/${server.id}/grants/${first}/delete`, {
      _csrf: await csrfOf(jar),
    });
    expect(removed.response.status).toBe(200);
    expect(removed.html).toContain("Grant deleted.");
    expect(
      policy()
        .grantsOf(server.id)
        .map((one) => one.id),
    ).not.toContain(first);
    const twice = await postForm(gateway, jar, `/admin/servers/${server.id}/grants/${first}/delete`, {
      _csrf: await csrfOf(jar),
    });
    expect(twice.response.status).toBe(404);
  });
});

describe("who may use the server pages", () => {
  test("every new POST without the CSRF token, with a wrong one, or cross-site → 403, nothing changes", async () => {
    const jar = await signedIn();
    await addServer(jar, httpServer("guarded"));
    const server = registry().byName("guarded")!;
    const grant = policy().addGrant({
      serverId: server.id,
      principalType: "user",
      principalId: aliceId,
      allowedTools: null,
      deniedTools: [],
    });
    const csrf = await csrfOf(jar);
    const routes: [string, Record<string, string>][] = [
      ["/admin/servers/new", httpServer("sneaky")],
      [
        `/admin/servers/${server.id}/edit`,
        httpServer("guarded", { display_name: "Changed", credential_type: "none" }),
      ],
      [`/admin/servers/${server.id}/delete`, {}],
      [`/admin/servers/${server.id}/grants`, { principal_type: "user", principal: "root" }],
      [`/admin/servers/${server.id}/grants/${grant.id}/delete`, {}],
    ];
    const events = () => recorded.filter((event) => event.type === "admin_change").length;
    const before = events();
    for (const [path, fields] of routes) {
      const attempts: { fields: Record<string, string>; headers: Record<string, string> }[] = [
        { fields, headers: {} },
        { fields: { ...fields, _csrf: "forged" }, headers: {} },
        { fields: { ...fields, _csrf: csrf }, headers: { origin: "https://evil.example" } },
      ];
      for (const attempt of attempts) {
        const { response } = await postForm(gateway, jar, path, attempt.fields, attempt.headers);
        expect(`${path} ${response.status}`).toBe(`${path} 403`);
      }
    }
    expect(registry().byName("sneaky")).toBeUndefined();
    expect(registry().byId(server.id)?.displayName).toBe("guarded");
    expect(registry().byId(server.id)?.credentialKind).toBe("bearer");
    expect(
      policy()
        .grantsOf(server.id)
        .map((one) => one.id),
    ).toEqual([grant.id]);
    expect(events()).toBe(before);
  });

  test("a non-admin gets 403 on every new page and POST; no session → the login", async () => {
    const admin = await signedIn();
    await addServer(admin, httpServer("private"));
    const server = registry().byName("private")!;
    const pages = [
      "/admin/servers/new",
      `/admin/servers/${server.id}/edit`,
      `/admin/servers/${server.id}/delete`,
      `/admin/servers/${server.id}/discovered`,
    ];
    for (const path of pages) {
      const response = await gateway.request(path);
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toStartWith("/login");
    }
    const jar = await signedIn("alice");
    const seen = backend.seen.length;
    for (const path of pages) {
      const { response, html } = await getPage(gateway, jar, path);
      expect(`${path} ${response.status}`).toBe(`${path} 403`);
      expect(html).not.toContain(backend.url);
    }
    const csrf = hiddenValue((await getPage(gateway, jar, "/portal")).html, "_csrf") ?? "";
    for (const path of [
      "/admin/servers/new",
      `/admin/servers/${server.id}/edit`,
      `/admin/servers/${server.id}/delete`,
      `/admin/servers/${server.id}/grants`,
    ]) {
      const { response } = await postForm(gateway, jar, path, {
        ...httpServer("by-alice"),
        principal: "alice",
        _csrf: csrf,
      });
      expect(`${path} ${response.status}`).toBe(`${path} 403`);
    }
    expect(backend.seen.length).toBe(seen);
    expect(registry().byName("by-alice")).toBeUndefined();
    expect(registry().byId(server.id)).toBeDefined();
    expect(policy().grantsOf(server.id)).toEqual([]);
  });
});
