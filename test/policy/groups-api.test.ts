import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { adminAndUser } from "../gateway/helpers.ts";
import { jsonInit, login, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway;
let setup: Awaited<ReturnType<typeof adminAndUser>>;

beforeEach(async () => {
  gateway = await testGateway();
  setup = await adminAndUser(gateway);
});
afterEach(async () => {
  await gateway.close();
});

const admin = () => ({ authorization: `Bearer ${setup.adminToken}` });

interface GroupView {
  id: string;
  name: string;
  description: string;
  members?: { id: string; username: string }[];
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin()) {
  return gateway.request(
    path,
    body === undefined ? { method, headers } : jsonInit(body, { method, headers }),
  );
}

async function createGroup(name: string, description?: string): Promise<GroupView> {
  const response = await call("POST", "/admin/api/groups", { name, description });
  expect(response.status).toBe(201);
  return (await response.json()) as GroupView;
}

describe("admin API: groups", () => {
  test("create, read, rename, list with search and pagination, delete", async () => {
    const eng = await createGroup("Engineering", "builds things");
    expect(eng).toMatchObject({ name: "Engineering", description: "builds things", members: [] });
    await createGroup("Sales");
    await createGroup("Support 100%");

    const page = (await (await call("GET", "/admin/api/groups?limit=2")).json()) as {
      groups: GroupView[];
      total: number;
    };
    expect(page.total).toBe(3);
    expect(page.groups.map((g) => g.name)).toEqual(["Engineering", "Sales"]);
    const second = (await (await call("GET", "/admin/api/groups?limit=2&offset=2")).json()) as {
      groups: GroupView[];
    };
    expect(second.groups.map((g) => g.name)).toEqual(["Support 100%"]);
    const found = (await (await call("GET", "/admin/api/groups?q=0%25")).json()) as { groups: GroupView[] };
    expect(found.groups.map((g) => g.name)).toEqual(["Support 100%"]);

    const renamed = await call("PATCH", `/admin/api/groups/${eng.id}`, { name: "Platform" });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as GroupView).name).toBe("Platform");
    expect((await call("PATCH", `/admin/api/groups/${eng.id}`, { name: "sales" })).status).toBe(409);
    expect((await call("POST", "/admin/api/groups", { name: "SALES" })).status).toBe(409);

    expect((await call("DELETE", `/admin/api/groups/${eng.id}`)).status).toBe(204);
    expect((await call("GET", `/admin/api/groups/${eng.id}`)).status).toBe(404);
    expect((await call("DELETE", `/admin/api/groups/${eng.id}`)).status).toBe(404);
    expect((await call("PATCH", `/admin/api/groups/${eng.id}`, { name: "x" })).status).toBe(404);
  });

  test("members are added and removed; unknown user or group → 404; a deleted user leaves their groups", async () => {
    const group = await createGroup("Engineering");
    for (const user of [setup.user, setup.other]) {
      const added = await call("PUT", `/admin/api/groups/${group.id}/members/${user.id}`);
      expect(added.status).toBe(200);
      expect(await added.json()).toEqual({ group_id: group.id, user_id: user.id });
    }
    // Adding twice changes nothing.
    expect((await call("PUT", `/admin/api/groups/${group.id}/members/${setup.user.id}`)).status).toBe(200);
    const read = (await (await call("GET", `/admin/api/groups/${group.id}`)).json()) as GroupView;
    expect(read.members?.map((m) => m.username)).toEqual(["alice", "mallory"]);

    expect((await call("PUT", `/admin/api/groups/${group.id}/members/nobody`)).status).toBe(404);
    expect((await call("PUT", `/admin/api/groups/grp_none/members/${setup.user.id}`)).status).toBe(404);
    expect((await call("DELETE", `/admin/api/groups/grp_none/members/${setup.user.id}`)).status).toBe(404);

    expect((await call("DELETE", `/admin/api/groups/${group.id}/members/${setup.other.id}`)).status).toBe(
      204,
    );
    expect((await call("DELETE", `/admin/api/groups/${group.id}/members/${setup.other.id}`)).status).toBe(
      404,
    );
    expect((await call("DELETE", `/admin/api/users/${setup.user.id}`)).status).toBe(204);
    const after = (await (await call("GET", `/admin/api/groups/${group.id}`)).json()) as GroupView;
    expect(after.members).toEqual([]);
  });

  test("malformed, oversized and hostile input → 400 with the field named, nothing changed; non-admins 403", async () => {
    const group = await createGroup("Engineering");
    const cases: [string, string, unknown, string][] = [
      ["POST", "/admin/api/groups", {}, "name"],
      ["POST", "/admin/api/groups", { name: "   " }, "name"],
      ["POST", "/admin/api/groups", { name: "x".repeat(101) }, "name"],
      ["POST", "/admin/api/groups", { name: "bad\nname" }, "name"],
      ["POST", "/admin/api/groups", { name: 7 }, "name"],
      ["POST", "/admin/api/groups", { name: "ok", description: "d".repeat(1001) }, "description"],
      ["POST", "/admin/api/groups", { name: "ok", members: ["x"] }, "body"],
      ["POST", "/admin/api/groups", "ok", "body"],
      ["PATCH", `/admin/api/groups/${group.id}`, {}, "body"],
      ["PATCH", `/admin/api/groups/${group.id}`, { name: null }, "name"],
      ["PATCH", `/admin/api/groups/${group.id}`, { id: "grp_other" }, "body"],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${JSON.stringify(body)}`).toBe(400);
      const error = (await response.json()) as { error: string; error_description: string };
      expect(error.error).toBe("invalid_request");
      if (field !== "body") expect(error.error_description.startsWith(field)).toBe(true);
    }
    for (const query of ["limit=0", "limit=x", "offset=-3", `q=${"q".repeat(201)}`, "q=a&q=b"]) {
      expect((await call("GET", `/admin/api/groups?${query}`)).status, query).toBe(400);
    }
    const page = (await (await call("GET", "/admin/api/groups")).json()) as { groups: GroupView[] };
    expect(page.groups.map((g) => [g.name, g.description])).toEqual([["Engineering", ""]]);

    const alice = { authorization: `Bearer ${(await login(gateway, "alice")).access_token}` };
    expect((await call("GET", "/admin/api/groups", undefined, alice)).status).toBe(403);
    expect(
      (await call("PUT", `/admin/api/groups/${group.id}/members/${setup.user.id}`, undefined, alice)).status,
    ).toBe(403);
    expect(gateway.app.decorator.gateway.policy.isMember(group.id, setup.user.id)).toBe(false);
  });
});
