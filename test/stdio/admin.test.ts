import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mcpServers } from "../../src/db/schema/gateway.ts";
import { adminAndUser, sdkClient, tokenFor } from "../gateway/helpers.ts";
import { jsonInit, type TestGateway, tempDir } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { STDIO_SERVER, stdioServer, textOf } from "./helpers.ts";

let gateway: ListeningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const SECRET = "s3cr3t-value-never-shown";

function post(g: TestGateway, token: string, body: unknown) {
  return g.request(
    "/admin/api/mcp-servers",
    jsonInit(body, { headers: { authorization: `Bearer ${token}` } }),
  );
}

describe("stdio servers in the admin API and the config file", () => {
  test("the API shows the full command and env names, never env values; values are sealed in the row and reach the process", async () => {
    // Set before the process starts: the gateway's own environment must not reach it.
    process.env.GATEWAY_ONLY_TEST_VAR = "leak";
    gateway = await listeningGateway();
    const setup = await adminAndUser(gateway);
    const created = await stdioServer(gateway, setup.adminToken, {
      args: [STDIO_SERVER, "--flag"],
      cwd: gateway.dir,
      env: { API_KEY: SECRET },
    });
    expect(created).toMatchObject({
      transport: "stdio",
      url: null,
      command: process.execPath,
      args: [STDIO_SERVER, "--flag"],
      cwd: gateway.dir,
      env: { API_KEY: "********" },
    });
    const listed = await gateway.request("/admin/api/mcp-servers", {
      headers: { authorization: `Bearer ${setup.adminToken}` },
    });
    const listedText = await listed.text();
    expect(listedText).toContain("API_KEY");
    expect(listedText).not.toContain(SECRET);

    const row = gateway.ctx.db.select().from(mcpServers).all()[0];
    expect(row?.transport).toBe("stdio");
    expect(row?.stdioEnvSealed).toBeString();
    expect(JSON.stringify(row)).not.toContain(SECRET);

    const { client } = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    expect(textOf(await client.callTool({ name: "env", arguments: { name: "API_KEY" } }))).toBe(SECRET);
    expect(textOf(await client.callTool({ name: "env", arguments: { name: "GATEWAY_ONLY_TEST_VAR" } }))).toBe(
      "(unset)",
    );
    expect(textOf(await client.callTool({ name: "env", arguments: { name: "PATH" } }))).not.toBe("(unset)");
    delete process.env.GATEWAY_ONLY_TEST_VAR;

    // A PATCH of the command keeps the env values unless it gives new ones.
    const patched = await gateway.request(`/admin/api/mcp-servers/${created.id}`, {
      ...jsonInit(
        { command: process.execPath, args: [STDIO_SERVER] },
        { headers: { authorization: `Bearer ${setup.adminToken}` } },
      ),
      method: "PATCH",
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      args: [STDIO_SERVER],
      cwd: null,
      env: { API_KEY: "********" },
    });
    const again = await sdkClient(`${gateway.url}/mcp/tools`, await tokenFor(gateway, "alice", "tools"));
    expect(textOf(await again.client.callTool({ name: "env", arguments: { name: "API_KEY" } }))).toBe(SECRET);
  });

  test("hostile or malformed bodies are refused with 400, never 500", async () => {
    gateway = await listeningGateway();
    const { adminToken } = await adminAndUser(gateway);
    const base = { name: "bad", transport: "stdio", command: process.execPath };
    const cases: Record<string, unknown>[] = [
      { name: "bad", transport: "stdio" }, // no command
      { ...base, command: "" },
      { ...base, command: "no-such-command-anywhere-xyz" },
      { ...base, args: Array.from({ length: 101 }, () => "a") },
      { ...base, args: ["x".repeat(9000)] },
      { ...base, args: [1, 2] },
      { ...base, args: "not-a-list" },
      { ...base, env: { KEY: 5 } },
      { ...base, env: { "BAD NAME": "x" } },
      { ...base, env: { KEY: "a\u0000b" } },
      { ...base, cwd: "relative/dir" },
      { ...base, cwd: "/no/such/dir/xyz" },
      { ...base, url: "http://127.0.0.1:1/mcp" },
      { ...base, credential: { type: "bearer", token: "t" } },
      { ...base, user_context: "headers" },
      { name: "http", url: "http://127.0.0.1:1/mcp", command: process.execPath },
      { name: "http" }, // an HTTP server without its URL
    ];
    for (const body of cases) {
      const response = await post(gateway, adminToken, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    const http = await post(gateway, adminToken, { name: "web", url: "http://127.0.0.1:1/mcp" });
    const { id } = (await http.json()) as { id: string };
    const toStdioWithoutCommand = await gateway.request(`/admin/api/mcp-servers/${id}`, {
      ...jsonInit({ transport: "stdio" }, { headers: { authorization: `Bearer ${adminToken}` } }),
      method: "PATCH",
    });
    expect(toStdioWithoutCommand.status).toBe(400);
    const argsAlone = await gateway.request(`/admin/api/mcp-servers/${id}`, {
      ...jsonInit({ args: ["x"] }, { headers: { authorization: `Bearer ${adminToken}` } }),
      method: "PATCH",
    });
    expect(argsAlone.status).toBe(400);
    // A non-admin cannot create one.
    const userToken = await tokenFor(gateway, "alice", "web");
    expect((await post(gateway, userToken, base)).status).toBe(403);
  });

  test("a stdio server from the config file's mcp_services, env from the file", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      [
        "mcp_services:",
        "  files:",
        "    name: Files",
        "    transport: stdio",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(STDIO_SERVER)}]`,
        "    env:",
        "      FROM_FILE: yes-from-file",
      ].join("\n"),
    );
    gateway = await listeningGateway({}, { dir, configFile: file });
    const close = gateway.close;
    gateway.close = async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    };
    const { adminToken } = await adminAndUser(gateway);
    const listed = (await (
      await gateway.request("/admin/api/mcp-servers", { headers: { authorization: `Bearer ${adminToken}` } })
    ).json()) as { servers: Record<string, unknown>[] };
    expect(listed.servers[0]).toMatchObject({
      name: "files",
      transport: "stdio",
      managed_by: "config",
      command: process.execPath,
      env: { FROM_FILE: "********" },
    });
    const { client } = await sdkClient(`${gateway.url}/mcp/files`, await tokenFor(gateway, "root", "files"));
    expect(textOf(await client.callTool({ name: "env", arguments: { name: "FROM_FILE" } }))).toBe(
      "yes-from-file",
    );
  });
});
