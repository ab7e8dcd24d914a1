// The dashboard lists each server at its own URL and the aggregated /mcp, with health and client
// configurations to paste, everything escaped.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer } from "../gateway/helpers.ts";
import { createUser, login, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";
import { type McpBackend, startMcpBackend } from "../support/mcp-backend.ts";
import { browserLogin, elementTexts, getPage, Jar, parseElements } from "./web.ts";

const HOSTILE = `<script>alert("x")</script>&'`;

let gateway: TestGateway;
let backend: McpBackend;
let html = "";
let status = 0;
let base = "";

beforeAll(async () => {
  gateway = await testGateway();
  backend = await startMcpBackend();
  base = gateway.ctx.config.publicUrl;
  const jar = new Jar();
  await createUser(gateway, "root", { isAdmin: true });
  await browserLogin(gateway, jar, "root", STRONG_PASSWORD);
  const adminToken = (await login(gateway, "root")).access_token;
  await createServer(gateway, adminToken, { name: "notes", display_name: HOSTILE, url: backend.url });
  // Nothing listens on port 9 of loopback (discard): this one is offline.
  await createServer(gateway, adminToken, { name: "calc", url: "http://127.0.0.1:9/mcp" });
  await gateway.app.decorator.gateway.health.checkAll();
  const page = await getPage(gateway, jar, "/admin/");
  html = page.html;
  status = page.response.status;
});
afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

test("each server is listed at its own URL with its health; /mcp once, with its client configurations", () => {
  expect(status).toBe(200);
  const servers = parseElements(html, "article.server").map((a) => a["data-server"]);
  expect(servers).toEqual(["calc", "notes"]);
  expect(elementTexts(html, ".server-url code")).toEqual([`${base}/mcp/calc`, `${base}/mcp/notes`]);
  expect(elementTexts(html, ".server .badge")).toEqual(["offline", "online"]);
  expect(elementTexts(html, ".aggregate-url code")).toEqual([`${base}/mcp`]);
  const snippets = elementTexts(html, ".aggregate .snippet code");
  expect(snippets).toContain(`claude mcp add --transport http authmcp ${base}/mcp`);
  expect(elementTexts(html, ".aggregate .hint code")).toEqual(["{server}__{tool}"]);
});

test("a hostile display name is shown as text, never as markup", () => {
  expect(html).not.toContain("<script>alert");
  expect(elementTexts(html, ".server-head h3")).toEqual(["calc", HOSTILE]);
  expect(parseElements(html, "script").map((s) => s.src)).toEqual([
    expect.stringMatching(/^\/static\/htmx\.min\.js/),
    "/static/app.js",
  ]);
});

test("client configuration to paste, for every client, per server", () => {
  const notes = `${base}/mcp/notes`;
  const clients = elementTexts(html, '[data-server="notes"] .client h4');
  expect(clients).toEqual(["Claude Code", "Claude Desktop", "Cursor", "VS Code", "Codex", "MCP Inspector"]);
  const snippets = elementTexts(html, '[data-server="notes"] pre.snippet code');
  const [claudeCode, desktop, cursor, vscode, codex, inspector] = snippets;
  expect(claudeCode).toBe(`claude mcp add --transport http notes ${notes}`);
  expect(JSON.parse(desktop as string)).toEqual({
    mcpServers: { notes: { command: "npx", args: ["-y", "mcp-remote", notes] } },
  });
  expect(JSON.parse(cursor as string)).toEqual({ mcpServers: { notes: { url: notes } } });
  expect(JSON.parse(vscode as string)).toEqual({ servers: { notes: { type: "http", url: notes } } });
  expect(codex).toBe(`[mcp_servers.notes]\nurl = "${notes}"\nbearer_token_env_var = "AUTHMCP_TOKEN_NOTES"`);
  expect(inspector).toBe("npx @modelcontextprotocol/inspector");
  expect(elementTexts(html, '[data-server="notes"] .client .hint').join("\n")).toContain(
    `"resource": "${notes}"`,
  );
});

test("mcp-remote gets --allow-http only for http:// on a host other than loopback", async () => {
  const { clientConfigs } = await import("../../src/admin/client-config.ts");
  const args = (url: string) =>
    JSON.parse(clientConfigs("n", url, url).find((c) => c.client === "Claude Desktop")?.snippet as string)
      .mcpServers.n.args;
  expect(args("http://localhost:8000/mcp/n")).toEqual(["-y", "mcp-remote", "http://localhost:8000/mcp/n"]);
  expect(args("https://gw.example.com/mcp/n")).toEqual(["-y", "mcp-remote", "https://gw.example.com/mcp/n"]);
  expect(args("http://gw.internal/mcp/n")).toEqual([
    "-y",
    "mcp-remote",
    "http://gw.internal/mcp/n",
    "--allow-http",
  ]);
});
