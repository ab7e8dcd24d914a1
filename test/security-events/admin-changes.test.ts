import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { StoredSecurityEvent } from "../../src/audit/security-events/store.ts";
import { adminAndUser } from "../gateway/helpers.ts";
import type { TestGateway } from "../support/context.ts";
import { jsonInit, login } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { expectNoSecrets, overHttp, stored } from "./helpers.ts";

let listening: ListeningGateway;
let gw: TestGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeAll(async () => {
  listening = await listeningGateway();
  gw = overHttp(listening);
  setup = await adminAndUser(gw);
});
afterAll(() => listening.close());

const admin = () => ({ authorization: `Bearer ${setup.adminToken}`, "user-agent": "ops-script/1" });

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return gw.request(
    path,
    body === undefined ? { method, headers: admin() } : jsonInit(body, { method, headers: admin() }),
  );
}

/** The admin changes recorded by `action` ("METHOD path"). */
function changes(action: string): StoredSecurityEvent[] {
  return stored(gw, "admin_change").filter((e) => e.details.action === action);
}

describe("admin changes through the JSON admin API", () => {
  test("creating a user: who, what, the answer; the password masked", async () => {
    const password = "Created-By-Admin-31";
    const response = await call("POST", "/admin/api/users", {
      username: "carol",
      email: "carol@example.test",
      password,
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string };
    const [event] = changes("POST /admin/api/users");
    expect(event).toMatchObject({
      userId: setup.admin.id,
      ip: "127.0.0.1",
      userAgent: "ops-script/1",
      severity: "medium",
      details: {
        admin: "root",
        request: { username: "carol", password: "********" },
        after: { id: created.id, username: "carol" },
        status: 201,
      },
    });
    expectNoSecrets(gw, [password, setup.adminToken]);
  });

  test("a password reset and a role change: before → after, the new password masked", async () => {
    const password = "Reset-By-Admin-77x";
    const path = `/admin/api/users/${setup.user.id}`;
    expect((await call("PATCH", path, { password, is_admin: true })).status).toBe(200);
    const [event] = changes(`PATCH ${path}`);
    expect(event?.details).toMatchObject({
      target: { id: setup.user.id },
      request: { password: "********", is_admin: true },
      before: { username: "alice", is_admin: false },
      after: { username: "alice", is_admin: true },
    });
    expectNoSecrets(gw, [password]);
  });

  test("backend credentials and stdio env values never reach the log", async () => {
    const token = "backend-bearer-secret-9f8e7d";
    const envValue = "stdio-env-secret-value-55";
    const http = await call("POST", "/admin/api/mcp-servers", {
      name: "remote",
      url: "http://127.0.0.1:9/mcp",
      credential: { type: "bearer", token },
    });
    expect(http.status).toBe(201);
    const { id } = (await http.json()) as { id: string };
    const rotated = "backend-bearer-rotated-1a2b3c";
    expect(
      (
        await call("PATCH", `/admin/api/mcp-servers/${id}`, {
          credential: { type: "bearer", token: rotated },
          enabled: false,
        })
      ).status,
    ).toBe(200);
    const [patch] = changes(`PATCH /admin/api/mcp-servers/${id}`);
    expect(patch?.details).toMatchObject({
      request: { credential: { type: "bearer", token: "********" }, enabled: false },
      before: { name: "remote", enabled: true, credential: { type: "bearer", value: "********" } },
      after: { name: "remote", enabled: false, credential: { type: "bearer", value: "********" } },
    });
    const stdio = await call("POST", "/admin/api/mcp-servers", {
      name: "local",
      transport: "stdio",
      command: process.execPath,
      args: ["--version"],
      env: { API_KEY: envValue },
    });
    expect(stdio.status).toBe(201);
    const [created] = changes("POST /admin/api/mcp-servers").filter(
      (e) => e.details.after && (e.details.after as { name: string }).name === "local",
    );
    expect(created?.details).toMatchObject({
      request: { env: { API_KEY: "********" } },
      after: { env: { API_KEY: "********" } },
    });
    expectNoSecrets(gw, [token, rotated, envValue]);
  });

  test("a deletion records what was deleted, nothing after", async () => {
    const http = await call("POST", "/admin/api/mcp-servers", {
      name: "doomed",
      url: "http://127.0.0.1:9/mcp",
    });
    const { id } = (await http.json()) as { id: string };
    expect((await call("DELETE", `/admin/api/mcp-servers/${id}`)).status).toBe(204);
    const [event] = changes(`DELETE /admin/api/mcp-servers/${id}`);
    expect(event?.details).toMatchObject({ before: { id, name: "doomed" }, after: null, status: 204 });
  });

  test("group membership, grants and rate-limit overrides are recorded too", async () => {
    const group = (await (await call("POST", "/admin/api/groups", { name: "Ops" })).json()) as { id: string };
    const member = `/admin/api/groups/${group.id}/members/${setup.user.id}`;
    const added = await call("PUT", member);
    expect(added.status).toBeLessThan(300);
    const [membership] = changes(`PUT ${member}`);
    expect(membership?.details).toMatchObject({ before: { members: [] }, after: { name: "Ops" } });
    const after = membership?.details.after as { members: unknown } | undefined;
    expect(JSON.stringify(after?.members)).toContain(setup.user.id);

    const server = (await (
      await call("POST", "/admin/api/mcp-servers", { name: "granted", url: "http://127.0.0.1:9/mcp" })
    ).json()) as { id: string };
    expect(
      (await call("POST", `/admin/api/mcp-servers/${server.id}/grants`, { group_id: group.id })).status,
    ).toBe(201);
    expect(changes(`POST /admin/api/mcp-servers/${server.id}/grants`)).toHaveLength(1);
    const limit = `/admin/api/users/${setup.user.id}/rate-limit`;
    expect((await call("PUT", limit, { max: 5, window_seconds: 60 })).status).toBe(200);
    expect(changes(`PUT ${limit}`)[0]?.details).toMatchObject({ request: { max: 5, window_seconds: 60 } });
  });

  test("OAuth clients: a pre-registered client's secret is masked; a deletion is recorded with what was deleted", async () => {
    const response = await call("POST", "/admin/api/oauth-clients", {
      client_name: "Pre-registered",
      redirect_uris: ["https://app.example.test/cb"],
      token_endpoint_auth_method: "client_secret_basic",
    });
    expect(response.status).toBe(201);
    const { client_id, client_secret } = (await response.json()) as {
      client_id: string;
      client_secret: string;
    };
    expect(client_secret).toBeString();
    const [created] = changes("POST /admin/api/oauth-clients");
    expect(created?.details).toMatchObject({ after: { client_id, client_secret: "********" } });
    expect((await call("DELETE", `/admin/api/oauth-clients/${client_id}`)).status).toBe(204);
    const [deleted] = changes(`DELETE /admin/api/oauth-clients/${client_id}`);
    expect(deleted?.details).toMatchObject({ before: { client_id }, after: null });
    expectNoSecrets(gw, [client_secret]);
  });

  test("refused calls and calls by non-admins change nothing and record nothing", async () => {
    const before = stored(gw, "admin_change").length;
    expect((await call("POST", "/admin/api/users", { username: "x" })).status).toBe(400);
    expect((await call("DELETE", "/admin/api/mcp-servers/no-such-id")).status).toBe(404);
    const aliceToken = (await login(gw, "mallory")).access_token;
    const forbidden = await gw.request(
      "/admin/api/groups",
      jsonInit({ name: "Nope" }, { headers: { authorization: `Bearer ${aliceToken}` } }),
    );
    expect(forbidden.status).toBe(403);
    expect(stored(gw, "admin_change")).toHaveLength(before);
  });
});
