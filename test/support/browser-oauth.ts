import { expect } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { BrowserContext, Page } from "playwright-core";
import { createServer } from "../gateway/helpers.ts";
import { FakeClock } from "./clock.ts";
import { createUser, login, STRONG_PASSWORD, tempDir } from "./context.ts";
import { type McpBackend, startMcpBackend } from "./mcp-backend.ts";
import { MemoryOAuthProvider } from "./oauth-provider.ts";
import { type ListeningGateway, listeningGateway } from "./server.ts";

/** The person who signs in through the browser in these tests. */
export const PERSON = { username: "alice", password: STRONG_PASSWORD };

export interface OAuthStage {
  gw: ListeningGateway;
  backend: McpBackend;
  /** The MCP URL of the server `alpha` on the gateway. */
  serverUrl: string;
  close(): Promise<void>;
}

/**
 * A gateway on loopback (fake clock starting now) with a real MCP backend behind it as server
 * `alpha`, open to every user; an admin and the person who signs in.
 */
export async function oauthStage(env: Record<string, string> = {}): Promise<OAuthStage> {
  const backend = await startMcpBackend();
  const gw = await listeningGateway(env, { clock: new FakeClock(Date.now()) });
  await createUser(gw, "root", { isAdmin: true });
  await createUser(gw, PERSON.username);
  const adminToken = (await login(gw, "root")).access_token;
  await createServer(gw, adminToken, { name: "alpha", url: backend.url, open_to_all: true });
  return {
    gw,
    backend,
    serverUrl: `${gw.url}/mcp/alpha`,
    close: async () => {
      await gw.close();
      await backend.close();
    },
  };
}

/** A loopback HTTP(S) server standing in for the client's redirect URI: it records each hit. */
export interface CallbackServer {
  port: number;
  /** Every URL the browser brought here, in order. */
  received: URL[];
  /** Resolves with the next URL the browser brings here. */
  next(): Promise<URL>;
  close(): void;
}

export function callbackServer(tls?: { cert: string; key: string }): CallbackServer {
  const received: URL[] = [];
  let waiters: ((url: URL) => void)[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ? { tls } : {}),
    fetch: (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/favicon.ico") return new Response(null, { status: 404 });
      received.push(url);
      const current = waiters;
      waiters = [];
      for (const resolve of current) resolve(url);
      return new Response("<!doctype html><title>Signed in</title><p>You may close this window.</p>", {
        headers: { "content-type": "text/html" },
      });
    },
  });
  return {
    port: server.port as number,
    received,
    next: () => new Promise<URL>((resolve) => waiters.push(resolve)),
    close: () => server.stop(true),
  };
}

/** A self-signed certificate for 127.0.0.1 (and its PEM file, for OAUTH_CIMD_CA_FILE). */
export function selfSignedCert(): { cert: string; key: string; caFile: string; dispose(): void } {
  const dir = tempDir("authmcp-browser-tls-");
  const caFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const result = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    caFile,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  if (result.exitCode !== 0) throw new Error(`openssl failed: ${result.stderr.toString()}`);
  return {
    cert: readFileSync(caFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    caFile,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What Chromium said and did on a page: console errors (CSP violations land there) and requests. */
export interface PageWatch {
  errors: string[];
  requests: string[];
  /** Gateway pages answered 200 on /oauth/authorize (the consent page was shown). */
  consentPages: number;
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { errors: [], requests: [], consentPages: 0 };
  page.on("console", (message) => {
    if (message.type() === "error") watch.errors.push(message.text());
  });
  page.on("pageerror", (error) => watch.errors.push(String(error)));
  page.on("request", (request) => watch.requests.push(request.url()));
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.pathname === "/oauth/authorize" && response.status() === 200) watch.consentPages++;
  });
  return watch;
}

export type Decision = "approve" | "deny";

/**
 * Plays the person in Chromium: opens the authorization URL, signs in when asked, and answers
 * the consent page when it is shown. Resolves with where the browser was sent (`arrived`, e.g.
 * the callback server's `next()`); fails with what Chromium logged if it never gets there.
 */
export async function personInBrowser<T>(
  page: Page,
  authorizationUrl: string,
  arrived: Promise<T>,
  options: { decision?: Decision } = {},
): Promise<T> {
  const watch = watchPage(page);
  let done = false;
  const landed = arrived.then((value) => {
    done = true;
    return value;
  });
  const stuck = (where: string) =>
    new Error(`the browser did not reach the client (${where}); Chromium said: ${watch.errors.join(" | ")}`);
  await page.goto(authorizationUrl);
  if (!done && new URL(page.url()).pathname === "/login") {
    await page.fill('input[name="username"]', PERSON.username);
    await page.fill('input[name="password"]', PERSON.password);
    await page.click('button[type="submit"]');
  }
  const consent = page
    .waitForSelector('button[name="decision"]', { timeout: 10_000 })
    .then(() => "consent" as const);
  const next = await Promise.race([landed.then(() => "client" as const), consent]).catch(() => "timeout");
  if (next === "timeout") throw stuck("after sign-in");
  if (next === "consent" && !done) {
    await page.click(`button[name="decision"][value="${options.decision ?? "approve"}"]`);
  }
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(stuck("after consent")), 10_000).unref(),
  );
  return Promise.race([landed, timeout]);
}

/**
 * An OAuthClientProvider (MCP SDK) whose redirectToAuthorization hands the URL to Chromium:
 * the person signs in and approves there, and the browser lands on the test's callback server.
 */
export class BrowserOAuthProvider extends MemoryOAuthProvider {
  protected readonly clientName = "SDK browser client";
  authorizationUrls: URL[] = [];
  /** The consent pages Chromium was shown (their HTML), over all authorizations. */
  consentPages: string[] = [];
  /** The code of the last authorization, once the browser reached the callback. */
  pendingCode?: Promise<string>;

  constructor(
    private readonly context: BrowserContext,
    private readonly callback: CallbackServer,
    readonly clientMetadataUrl?: string,
  ) {
    super();
  }

  get redirectUrl(): string {
    return `http://127.0.0.1:${this.callback.port}/callback`;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    const state = url.searchParams.get("state");
    this.pendingCode = (async () => {
      const page = await this.context.newPage();
      page.on("response", async (response) => {
        if (new URL(response.url()).pathname === "/oauth/authorize" && response.status() === 200)
          this.consentPages.push(await response.text());
      });
      try {
        const arrived = await personInBrowser(page, url.toString(), this.callback.next());
        expect(arrived.searchParams.get("state")).toBe(state);
        expect(arrived.searchParams.get("iss")).toBe(url.origin);
        const code = arrived.searchParams.get("code");
        if (!code) throw new Error(`no code at the callback: ${arrived}`);
        return code;
      } finally {
        // Not awaited: Chromium sometimes never acknowledges closing a page that has just
        // navigated to another origin (seen here: page.close() pending until browser.close()).
        // The browser context is closed by the test, which ends the page either way.
        page.close().catch(() => {});
      }
    })();
    // Keep an unawaited failure from becoming an unhandled rejection; the test awaits it.
    this.pendingCode.catch(() => {});
  }
}

/** The tool list of a connected client and one echo call through the gateway. */
export async function listAndCall(client: Client): Promise<{ tools: string[]; echoed: string }> {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const result = (await client.callTool({ name: "echo", arguments: { text: "through the gateway" } })) as {
    content: { type: string; text?: string }[];
  };
  return { tools, echoed: result.content[0]?.text ?? "" };
}

export function newMcpClient(): Client {
  return new Client({ name: "browser-oauth-test", version: "1.0.0" });
}

/** `promise`, or a failure naming `step` after `ms` (so a stuck step says where it stuck). */
export function within<T>(step: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${step}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
