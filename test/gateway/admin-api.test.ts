import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { mcpServers } from "../../src/db/schema/gateway.ts";
import { jsonInit, login, type TestGateway, testGateway } from "../support/context.ts";
import { adminAndUser, createServer } from "./helpers.ts";

let gateway: TestGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeEach(async () => {
  gateway = await testGateway();
  setup = await adminAndUser(gateway);
});
afterEach(async () => {
  await gateway.close();
});

const auth = () => ({ authorization: `Bearer ${setup.adminToken}` });

async function post(body: unknown, headers: Record<string, string> = auth()) {
  return gateway.request("/admin/api/mcp-servers", jsonInit(body, { headers }));
}

describe("admin API: servers", () => {
  test("create, read, list, patch, delete; credential is write-only and sealed in the database", async () => {
    const created = await createServer(gateway, setup.adminToken, {
      name: "files",
      display_name: "Files",
      url: "http://127.0.0.1:9/mcp",
      scopes: ["files:read"],
      credential: { type: "headers", headers: { "X-Api-Key": "very-secret-key" } },
    });
    expect(created.credential).toEqual({ type: "headers", configured: true, value: "********" });
    expect(JSON.stringify(created)).not.toContain("very-secret-key");
    const row = gateway.ctx.db.select().from(mcpServers).where(eq(mcpServers.id, created.id)).get();
    expect(row?.credentialSealed).toStartWith("v1.");
    expect(row?.credentialSealed).not.toContain("very-secret-key");

    const list = await gateway.request("/admin/api/mcp-servers", { headers: auth() });
    const listed = (await list.json()) as { servers: { name: string; health: { status: string } }[] };
    expect(listed.servers.map((s) => s.name)).toEqual(["files"]);
    expect(listed.servers[0]?.health.status).toBe("unknown");

    const patched = await gateway.request(`/admin/api/mcp-servers/${created.id}`, {
      method: "PATCH",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ display_name: "Files 2", timeout_ms: 5000 }),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { display_name: string }).display_name).toBe("Files 2");
    // Credential unchanged by a patch that does not name it.
    expect(await gateway.app.decorator.gateway.registry.credential(created.id)).toEqual({
      kind: "headers",
      headers: { "X-Api-Key": "very-secret-key" },
    });

    const removed = await gateway.request(`/admin/api/mcp-servers/${created.id}`, {
      method: "DELETE",
      headers: auth(),
    });
    expect(removed.status).toBe(204);
    expect((await gateway.request(`/admin/api/mcp-servers/${created.id}`, { headers: auth() })).status).toBe(
      404,
    );
  });

  test("validation errors name the field", async () => {
    const cases: [unknown, string][] = [
      [{ url: "http://127.0.0.1/mcp" }, "name"],
      [{ name: "Bad Name", url: "http://127.0.0.1/mcp" }, "name"],
      [{ name: "ok", url: "ftp://127.0.0.1/mcp" }, "url"],
      [{ name: "ok", url: "http://169.254.169.254/latest" }, "url"],
      [{ name: "ok", url: "http://[fd00:ec2::254]/" }, "url"],
      [{ name: "ok", url: "http://metadata.google.internal/" }, "url"],
      [{ name: "ok", url: "not a url" }, "url"],
      [{ name: "ok", url: "http://127.0.0.1/mcp", timeout_ms: 5 }, "timeout_ms"],
      [{ name: "ok", url: "http://127.0.0.1/mcp", transport: "websocket" }, "transport"],
      [{ name: "ok", url: "http://127.0.0.1/mcp", transport: "stdio" }, "command"],
      [{ name: "ok", url: "http://127.0.0.1/mcp", user_context: "root" }, "user_context"],
      [{ name: "ok", url: "http://127.0.0.1/mcp", extra: 1 }, "body"],
      [
        { name: "ok", url: "http://127.0.0.1/mcp", credential: { type: "bearer", token: "a\r\nb" } },
        "credential",
      ],
      [
        {
          name: "ok",
          url: "http://127.0.0.1/mcp",
          credential: { type: "headers", headers: { "X-User-Id": "x" } },
        },
        "credential",
      ],
      [
        {
          name: "ok",
          url: "http://127.0.0.1/mcp",
          credential: {
            type: "client_credentials",
            token_url: "http://169.254.169.254/",
            client_id: "a",
            client_secret: "b",
          },
        },
        "credential",
      ],
      [["array"], "body"],
    ];
    for (const [body, field] of cases) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const error = (await response.json()) as { error: string; error_description: string };
      expect(error.error).toBe("invalid_request");
      expect(error.error_description.startsWith(field === "body" ? "" : field)).toBe(true);
    }
    const notJson = await gateway.request("/admin/api/mcp-servers", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: "{nope",
    });
    expect(notJson.status).toBe(400);
    const wrongType = await gateway.request("/admin/api/mcp-servers", {
      method: "POST",
      headers: { ...auth(), "content-type": "text/plain" },
      body: "{}",
    });
    expect(wrongType.status).toBe(415);
    const huge = await post({ name: "ok", url: "http://127.0.0.1/mcp", display_name: "x".repeat(2_000_000) });
    expect(huge.status).toBe(413);
    await createServer(gateway, setup.adminToken, { name: "dup", url: "http://127.0.0.1/mcp" });
    const dup = await post({ name: "dup", url: "http://127.0.0.1/mcp" });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { error_description: string }).error_description).toStartWith("name");
  });

  test("non-admin → 403, no or forged credentials → 401", async () => {
    const userToken = (await login(gateway, "alice")).access_token;
    const asUser = await gateway.request("/admin/api/mcp-servers", {
      headers: { authorization: `Bearer ${userToken}` },
    });
    expect(asUser.status).toBe(403);
    const create = await post(
      { name: "x", url: "http://127.0.0.1/mcp" },
      { authorization: `Bearer ${userToken}` },
    );
    expect(create.status).toBe(403);
    const anonymous = await gateway.request("/admin/api/mcp-servers");
    expect(anonymous.status).toBe(401);
    const forged = await gateway.request("/admin/api/mcp-servers", {
      headers: { authorization: "Bearer forged" },
    });
    expect(forged.status).toBe(401);
  });

  test("grants: PUT/DELETE users; unknown user or server → 404", async () => {
    const server = await createServer(gateway, setup.adminToken, { name: "g", url: "http://127.0.0.1/mcp" });
    const put = await gateway.request(`/admin/api/mcp-servers/${server.id}/users/${setup.user.id}`, {
      method: "PUT",
      headers: auth(),
    });
    expect(put.status).toBe(200);
    const view = (await (
      await gateway.request(`/admin/api/mcp-servers/${server.id}`, { headers: auth() })
    ).json()) as { users: string[] };
    expect(view.users).toEqual([setup.user.id]);
    expect(
      (
        await gateway.request(`/admin/api/mcp-servers/${server.id}/users/nobody`, {
          method: "PUT",
          headers: auth(),
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await gateway.request(`/admin/api/mcp-servers/nope/users/${setup.user.id}`, {
          method: "PUT",
          headers: auth(),
        })
      ).status,
    ).toBe(404);
    const del = await gateway.request(`/admin/api/mcp-servers/${server.id}/users/${setup.user.id}`, {
      method: "DELETE",
      headers: auth(),
    });
    expect(del.status).toBe(204);
    expect(gateway.app.decorator.gateway.policy.grantedUsers(server.id)).toEqual([]);
  });

  test("jwt user context is refused with HS256 signing", async () => {
    const hs = await testGateway({ JWT_ALGORITHM: "HS256", JWT_SECRET_KEY: "s".repeat(48) });
    try {
      const { adminToken } = await adminAndUser(hs);
      const response = await hs.request(
        "/admin/api/mcp-servers",
        jsonInit(
          { name: "j", url: "http://127.0.0.1/mcp", user_context: "jwt" },
          { headers: { authorization: `Bearer ${adminToken}` } },
        ),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error_description: string }).error_description).toStartWith(
        "user_context",
      );
    } finally {
      await hs.close();
    }
  });
});

describe("servers from the config file", () => {
  test("listed as managed by config; the API refuses to edit, delete or shadow them; login for their resource works", async () => {
    const { loadConfig } = await import("../../src/config/load.ts");
    const { createContext } = await import("../../src/context.ts");
    const { createApp } = await import("../../src/app.ts");
    const { config } = loadConfig({
      env: { AUTH_SQLITE_PATH: `${gateway.dir}/cfg.db`, LOG_LEVEL: "silent" },
      cwd: gateway.dir,
    });
    const ctx = await createContext({
      ...config,
      mcpServices: {
        weather: {
          name: "Weather",
          url: "http://127.0.0.1:9/mcp",
          auth_required: true,
          scopes: [],
          enabled: true,
        },
      },
    });
    try {
      const app = createApp(ctx);
      await ctx.users.create({
        username: "boss",
        email: "boss@example.test",
        password: "Correct-Horse-9",
        isAdmin: true,
      });
      const call = (path: string, init?: RequestInit) =>
        app.handle(new Request(new URL(path, config.publicUrl), init));
      const tokenResponse = await call(
        "/auth/login",
        jsonInit({
          username: "boss",
          password: "Correct-Horse-9",
          resource: `${config.publicUrl}/mcp/weather`,
        }),
      );
      expect(tokenResponse.status).toBe(200);
      const adminLogin = await call(
        "/auth/login",
        jsonInit({ username: "boss", password: "Correct-Horse-9" }),
      );
      const adminToken = ((await adminLogin.json()) as { access_token: string }).access_token;
      const headers = { authorization: `Bearer ${adminToken}` };
      const list = (await (await call("/admin/api/mcp-servers", { headers })).json()) as {
        servers: { id: string; managed_by: string }[];
      };
      expect(list.servers).toHaveLength(1);
      expect(list.servers[0]?.managed_by).toBe("config");
      const id = list.servers[0]?.id ?? "";
      const patch = await call(`/admin/api/mcp-servers/${id}`, {
        method: "PATCH",
        headers: { ...headers, "content-type": "application/json" },
        body: "{}",
      });
      expect(patch.status).toBe(409);
      expect((await call(`/admin/api/mcp-servers/${id}`, { method: "DELETE", headers })).status).toBe(409);
      const clash = await call(
        "/admin/api/mcp-servers",
        jsonInit({ name: "weather", url: "http://127.0.0.1/mcp" }, { headers }),
      );
      expect(clash.status).toBe(409);
    } finally {
      await ctx.close();
    }
  });
});
