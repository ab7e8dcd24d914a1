import type { BrowserContext, Page } from "playwright-core";
import type { CallbackServer } from "./browser-oauth.ts";
import { MemoryOAuthProvider } from "./oauth-provider.ts";

/** Who signs in at the upstream provider, and with which of the gateway's buttons. */
export interface UpstreamPerson {
  /** The provider's slug on the gateway (`/login/upstream/{slug}`). */
  provider: string;
  login: string;
  password: string;
}

/**
 * Plays the person in Chromium for an authorization that signs in upstream: the gateway's login
 * page → "Sign in with …" → the provider's login and consent pages (oidc-provider's development
 * pages) → the gateway's consent → the client's callback. Resolves with the callback URL.
 */
export async function upstreamPersonInBrowser(
  page: Page,
  authorizationUrl: string,
  person: UpstreamPerson,
  arrived: Promise<URL>,
): Promise<{ callback: URL; gatewayConsentShown: boolean; visited: string[] }> {
  const visited: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) visited.push(frame.url());
  });
  let done = false;
  const landed = arrived.then((url) => {
    done = true;
    return url;
  });
  await page.goto(authorizationUrl);
  if (new URL(page.url()).pathname !== "/login")
    throw new Error(`expected the gateway's login page, at ${page.url()}`);
  await page.click(`a[href^="/login/upstream/${person.provider}?"]`);
  await page.waitForSelector('input[name="login"]', { timeout: 10_000 });
  await page.fill('input[name="login"]', person.login);
  await page.fill('input[name="password"]', person.password);
  await page.click('button[type="submit"]');
  // The provider's consent ("Continue"), then the gateway's own consent.
  await page.waitForSelector('button:has-text("Continue"), button[name="decision"]', { timeout: 10_000 });
  if (await page.$('button:has-text("Continue")')) await page.click('button:has-text("Continue")');
  let gatewayConsentShown = false;
  const consent = page
    .waitForSelector('button[name="decision"]', { timeout: 10_000 })
    .then(() => "consent" as const);
  const next = await Promise.race([landed.then(() => "client" as const), consent]);
  if (next === "consent" && !done) {
    gatewayConsentShown = true;
    await page.click('button[name="decision"][value="approve"]');
  }
  const callback = await Promise.race([
    landed,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`the browser did not reach the client; visited ${visited.join(" → ")}`)),
        10_000,
      ).unref(),
    ),
  ]);
  return { callback, gatewayConsentShown, visited };
}

/** An MCP SDK OAuthClientProvider whose person signs in upstream in Chromium. */
export class UpstreamBrowserOAuthProvider extends MemoryOAuthProvider {
  protected readonly clientName = "SDK upstream-sign-in client";
  pendingCode?: Promise<string>;
  consentShown = false;
  visited: string[] = [];

  constructor(
    private readonly context: BrowserContext,
    private readonly callback: CallbackServer,
    private readonly person: UpstreamPerson,
  ) {
    super();
  }

  get redirectUrl(): string {
    return `http://127.0.0.1:${this.callback.port}/callback`;
  }

  redirectToAuthorization(url: URL) {
    this.pendingCode = (async () => {
      const page = await this.context.newPage();
      try {
        const result = await upstreamPersonInBrowser(page, url.toString(), this.person, this.callback.next());
        this.consentShown = result.gatewayConsentShown;
        this.visited = result.visited;
        if (result.callback.searchParams.get("state") !== url.searchParams.get("state"))
          throw new Error("state changed");
        const code = result.callback.searchParams.get("code");
        if (!code) throw new Error(`no code at the callback: ${result.callback}`);
        return code;
      } finally {
        page.close().catch(() => {});
      }
    })();
    this.pendingCode.catch(() => {});
  }
}
