import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import {
  type CallbackServer,
  callbackServer,
  type OAuthStage,
  oauthStage,
  PERSON,
  personInBrowser,
  selfSignedCert,
  watchPage,
} from "../support/browser-oauth.ts";
import { pkcePair } from "../support/oauth-helpers.ts";

// Every kind of redirect URI a client may register, reached from the consent page in Chromium
// (issue 10 §1), and the pages' own protections.

let stage: OAuthStage;
let browser: Browser;
let http: CallbackServer;
let https: CallbackServer;
let cert: ReturnType<typeof selfSignedCert>;
let clientId: string;
const CURSOR = "cursor://anysphere.cursor-mcp/oauth/callback";
const VSCODE = "vscode://vscode.github-authentication/did-authenticate";

beforeAll(async () => {
  cert = selfSignedCert();
  http = callbackServer();
  https = callbackServer({ cert: cert.cert, key: cert.key });
  stage = await oauthStage();
  const registered = await fetch(`${stage.gw.url}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Redirect kinds app",
      redirect_uris: [
        `http://127.0.0.1:${http.port}/callback`,
        `http://localhost:${http.port}/callback`,
        // Paths of their own for the tests that need the consent page shown (not yet approved).
        `http://127.0.0.1:${http.port}/deny`,
        `http://127.0.0.1:${http.port}/framing`,
        `https://127.0.0.1:${https.port}/callback`,
        CURSOR,
        VSCODE,
      ],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    }),
  });
  expect(registered.status).toBe(201);
  clientId = ((await registered.json()) as { client_id: string }).client_id;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stage?.close();
  http?.close();
  https?.close();
  cert?.dispose();
});

async function authorizationUrl(redirectUri: string, extra: Record<string, string> = {}) {
  const { challenge } = await pkcePair();
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: `state-${crypto.randomUUID()}`,
    resource: stage.serverUrl,
    ...extra,
  });
  return `${stage.gw.url}/oauth/authorize?${q}`;
}

/** A fresh browser profile (no session): every run signs in and sees the consent page. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  return { context, page: await context.newPage() };
}

function expectCodeFor(arrived: URL, url: string) {
  const sent = new URL(url).searchParams;
  expect(arrived.searchParams.get("code")?.length).toBeGreaterThan(20);
  expect(arrived.searchParams.get("state")).toBe(sent.get("state"));
  expect(arrived.searchParams.get("iss")).toBe(stage.gw.url);
}

describe("Allow reaches the registered redirect URI in Chromium", () => {
  test.each([
    ["loopback 127.0.0.1", () => `http://127.0.0.1:${http.port}/callback`, () => http],
    ["loopback localhost", () => `http://localhost:${http.port}/callback`, () => http],
    ["https", () => `https://127.0.0.1:${https.port}/callback`, () => https],
  ])(
    "%s",
    async (_kind, redirect, server) => {
      const { context, page } = await freshPage();
      try {
        const url = await authorizationUrl(redirect());
        const arrived = await personInBrowser(page, url, server().next());
        expect(`${arrived.origin}${arrived.pathname}`).toBe(redirect());
        expectCodeFor(arrived, url);
      } finally {
        await context.close();
      }
    },
    30_000,
  );

  test.each([
    ["cursor://", CURSOR],
    ["vscode://", VSCODE],
  ])(
    "private-use scheme %s: Chromium navigates to it (the app would open)",
    async (_kind, redirect) => {
      const { context, page } = await freshPage();
      try {
        const watch = watchPage(page);
        const url = await authorizationUrl(redirect);
        // Chromium cannot open the desktop app here; it must still try, with the code in the URL.
        const requested = new Promise<URL>((resolve) => {
          page.on("request", (request) => {
            if (request.url().startsWith(redirect)) resolve(new URL(request.url()));
          });
        });
        const arrived = await personInBrowser(page, url, requested);
        expect(`${arrived.protocol}//${arrived.host}${arrived.pathname}`).toBe(redirect);
        expectCodeFor(arrived, url);
        expect(watch.errors.filter((e) => e.includes("Content Security Policy"))).toEqual([]);
      } finally {
        await context.close();
      }
    },
    30_000,
  );

  test("Deny reaches the client with error=access_denied, state and iss", async () => {
    const { context, page } = await freshPage();
    try {
      const url = await authorizationUrl(`http://127.0.0.1:${http.port}/deny`);
      const arrived = await personInBrowser(page, url, http.next(), { decision: "deny" });
      expect(arrived.pathname).toBe("/deny");
      expect(arrived.searchParams.get("error")).toBe("access_denied");
      expect(arrived.searchParams.get("state")).toBe(new URL(url).searchParams.get("state"));
      expect(arrived.searchParams.get("iss")).toBe(stage.gw.url);
      expect(arrived.searchParams.get("code")).toBeNull();
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe("pages instead of redirects, and what the pages say", () => {
  test("unknown client, unregistered redirect URI and (before approval) a bad parameter: a page, never a redirect", async () => {
    const { context, page } = await freshPage();
    try {
      const before = http.received.length;
      for (const url of [
        await authorizationUrl(`http://127.0.0.1:${http.port}/callback`, { client_id: "no-such-client" }),
        await authorizationUrl(`http://127.0.0.1:${http.port}/elsewhere`),
        await authorizationUrl(`http://127.0.0.1:${http.port}/callback`, { code_challenge_method: "plain" }),
      ]) {
        const response = await page.goto(url);
        expect(response?.status()).toBe(400);
        expect(new URL(page.url()).origin).toBe(stage.gw.url);
        expect(await page.locator("h1").textContent()).toBe("Authorization request refused");
      }
      expect(http.received.length).toBe(before);
    } finally {
      await context.close();
    }
  });

  test("the sign-in page during an authorization says which application asks, for which server", async () => {
    const { context, page } = await freshPage();
    try {
      await page.goto(await authorizationUrl(`http://127.0.0.1:${http.port}/callback`));
      expect(new URL(page.url()).pathname).toBe("/login");
      const text = (await page.locator(".authorization").textContent({ timeout: 5000 })) ?? "";
      expect(text).toContain("“Redirect kinds app”");
      expect(text).toContain("unverified name");
      expect(text).toContain("alpha");
      expect(text).toContain(`127.0.0.1:${http.port}`);
    } finally {
      await context.close();
    }
  });

  test("login and consent pages refuse framing from another origin and carry a CSP without 'unsafe-inline'", async () => {
    const { context, page } = await freshPage();
    const framer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        const target = new URL(request.url).searchParams.get("src") ?? "";
        return new Response(`<!doctype html><iframe id="f" src="${target}"></iframe>`, {
          headers: { "content-type": "text/html" },
        });
      },
    });
    try {
      const url = await authorizationUrl(`http://127.0.0.1:${http.port}/framing`);
      const login = await page.goto(url);
      expect(new URL(page.url()).pathname).toBe("/login");
      const loginCsp = login?.headers()["content-security-policy"] ?? "";
      expect(loginCsp).toContain("script-src 'self'");
      expect(loginCsp).toContain("frame-ancestors 'none'");
      expect(loginCsp).not.toContain("unsafe-inline");
      expect(login?.headers()["x-frame-options"]).toBe("DENY");
      const consentUrl = url;
      await page.fill('input[name="username"]', PERSON.username);
      await page.fill('input[name="password"]', PERSON.password);
      const [consent] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === "/oauth/authorize" && r.status() === 200),
        page.click('button[type="submit"]'),
      ]);
      const consentCsp = consent.headers()["content-security-policy"] ?? "";
      expect(consentCsp).toContain("script-src 'self'");
      expect(consentCsp).toContain("frame-ancestors 'none'");
      expect(consentCsp).not.toContain("unsafe-inline");
      expect(consent.headers()["x-frame-options"]).toBe("DENY");

      // Framed by another origin (the session cookie is sent: same site), neither page renders.
      const loginPage = `${stage.gw.url}/login?return_to=${encodeURIComponent(new URL(consentUrl).pathname + new URL(consentUrl).search)}`;
      for (const framed of [consentUrl, `${stage.gw.url}/login`, loginPage]) {
        const outer = await context.newPage();
        const watch = watchPage(outer);
        await outer.goto(`http://127.0.0.1:${framer.port}/?src=${encodeURIComponent(framed)}`);
        await outer.waitForTimeout(300);
        const frame = outer.frames().find((f) => f !== outer.mainFrame());
        const body = await frame?.evaluate(() => document.body?.textContent ?? "").catch(() => "");
        expect(body ?? "").not.toContain("Sign in");
        expect(body ?? "").not.toContain("Allow");
        expect(watch.errors.some((e) => /frame-ancestors|X-Frame-Options/.test(e))).toBe(true);
        await outer.close();
      }
    } finally {
      framer.stop(true);
      await context.close();
    }
  }, 30_000);
});
