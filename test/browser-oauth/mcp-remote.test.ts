import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import {
  listAndCall,
  newMcpClient,
  type OAuthStage,
  oauthStage,
  personInBrowser,
} from "../support/browser-oauth.ts";
import { tempDir } from "../support/context.ts";

// mcp-remote (the stdio bridge Claude Desktop and others use) signs in through Chromium, then an
// SDK stdio client lists and calls a tool through it; a second run reuses its stored tokens.

const MCP_REMOTE = join(import.meta.dir, "../../node_modules/mcp-remote/dist/proxy.js");

let stage: OAuthStage;
let browser: Browser;
let configDir: string;
let noBrowser: string;

beforeAll(async () => {
  stage = await oauthStage();
  browser = await launchBrowser();
  configDir = tempDir("authmcp-mcp-remote-");
  // mcp-remote also tries to open a browser itself: BROWSER points at a script that does nothing,
  // and the test reads the authorization URL it prints.
  noBrowser = join(configDir, "no-browser.sh");
  writeFileSync(noBrowser, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stage?.close();
  rmSync(configDir, { recursive: true, force: true });
});

function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

/** mcp-remote under node, as a stdio MCP server for the SDK client; its stderr collected. */
function mcpRemote(callbackPort: number) {
  const transport = new StdioClientTransport({
    // node where it is installed (as for users of mcp-remote); otherwise Bun runs it as well.
    command: process.env.MCP_REMOTE_NODE ?? Bun.which("node") ?? process.execPath,
    args: [MCP_REMOTE, stage.serverUrl, String(callbackPort)],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: configDir,
      MCP_REMOTE_CONFIG_DIR: join(configDir, "mcp-auth"),
      BROWSER: noBrowser,
    },
    stderr: "pipe",
  });
  let stderr = "";
  const authorizationUrl = new Promise<string>((resolve) => {
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /Please authorize this client by visiting:\s*(\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
  });
  return { transport, authorizationUrl, stderr: () => stderr };
}

const callbackPort = freePort();

test("first run: mcp-remote prints the URL, the person signs in and approves in Chromium, tools are listed and called", async () => {
  const remote = mcpRemote(callbackPort);
  const client = newMcpClient();
  const connected = client.connect(remote.transport);
  const context = await browser.newContext();
  try {
    const url = await remote.authorizationUrl;
    expect(new URL(url).origin).toBe(stage.gw.url);
    expect(new URL(url).searchParams.get("resource")).toBe(stage.serverUrl);
    // mcp-remote's own callback server answers on localhost:<port>/oauth/callback.
    const page = await context.newPage();
    const callbackReached = page.waitForResponse(
      (r) =>
        new URL(r.url()).port === String(callbackPort) && new URL(r.url()).pathname === "/oauth/callback",
      { timeout: 15_000 },
    );
    const reached = await personInBrowser(page, url, callbackReached);
    expect(reached.status()).toBe(200);
    expect(new URL(reached.url()).searchParams.get("code")).not.toBeNull();
    await connected;
    const { tools, echoed } = await listAndCall(client);
    expect(tools).toContain("echo");
    expect(echoed).toBe("through the gateway");
  } catch (error) {
    throw new Error(`${String(error)}\nmcp-remote said:\n${remote.stderr()}`);
  } finally {
    await client.close();
    await context.close();
  }
  // Its tokens are stored in the config directory given to it.
  const stored = readdirSync(join(configDir, "mcp-auth"), { recursive: true }).map(String);
  expect(stored.some((name) => name.endsWith("_tokens.json"))).toBe(true);
}, 90_000);

test("second run: mcp-remote reuses its stored tokens, no browser involved", async () => {
  const remote = mcpRemote(callbackPort);
  const client = newMcpClient();
  try {
    await client.connect(remote.transport);
    const { tools, echoed } = await listAndCall(client);
    expect(tools).toContain("echo");
    expect(echoed).toBe("through the gateway");
    expect(remote.stderr()).not.toContain("Please authorize this client");
    // The same registration as the first run: nothing new was registered or approved.
    const clients = stage.gw.ctx.db.$client.query("select count(*) as n from oauth_clients").get() as {
      n: number;
    };
    expect(clients.n).toBe(1);
  } catch (error) {
    throw new Error(`${String(error)}\nmcp-remote said:\n${remote.stderr()}`);
  } finally {
    await client.close();
  }
}, 60_000);
