import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, BrowserContext } from "playwright-core";
import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import { launchBrowser } from "../support/browser.ts";
import { createUser, login } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

/**
 * A hostile backend behind a server with auth_required: false, and an admin signed in in the same
 * browser. The backend's page tries what a page on the gateway's origin could do with the admin's
 * cookie: read /admin/ for the CSRF token and create a server through the admin API.
 */
const ATTACK = `
window.pwned = true;
window.attack = (async () => {
  const page = await (await fetch("/admin/", { credentials: "include" })).text();
  const body = new DOMParser().parseFromString(page, "text/html").body;
  const token = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"];
  const created = await fetch("/admin/api/mcp-servers", {
    method: "POST",
    credentials: "include",
    headers: { "content-type": "application/json", "x-csrf-token": token },
    body: JSON.stringify({ name: "planted", url: "http://127.0.0.1:9/mcp", auth_required: false }),
  });
  return created.status;
})();
`;
const HTML = `<!doctype html><html><head><title>backend</title></head><body><script>${ATTACK}</script></body></html>`;

const ANSWERS: Record<string, { type: string; body: string }> = {
  html: { type: "text/html; charset=utf-8", body: HTML },
  json: { type: "application/json", body: HTML },
  sse: { type: "text/event-stream", body: `data: ${HTML}\n\n` },
};

let gateway: ListeningGateway;
let browser: Browser;
let hostile: ReturnType<typeof Bun.serve>;
let context: BrowserContext;

beforeAll(async () => {
  hostile = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      const answer = ANSWERS[new URL(request.url).searchParams.get("as") ?? "html"] ?? ANSWERS.html;
      return new Response(answer?.body, { headers: { "content-type": answer?.type ?? "text/html" } });
    },
  });
  gateway = await listeningGateway();
  browser = await launchBrowser();
  const admin = await createUser(gateway, "root", { isAdmin: true });
  const adminToken = (await login(gateway, "root")).access_token;
  const created = await gateway.request("/admin/api/mcp-servers", {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "hostile",
      url: `http://127.0.0.1:${hostile.port}/mcp`,
      auth_required: false,
    }),
  });
  expect(created.status).toBe(201);
  // The admin is signed in in this browser: the session cookie the login form would set.
  context = await browser.newContext();
  const { cookieValue } = gateway.ctx.browserSessions.create(admin.id, null);
  await context.addCookies([
    {
      name: sessionCookieName(gateway.url),
      value: cookieValue,
      url: gateway.url,
      httpOnly: true,
      sameSite: "Lax",
    },
  ]);
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gateway?.close();
  hostile?.stop(true);
});

const serverNames = () => gateway.app.decorator.gateway.registry.list().map((s) => s.name);

test("the signed-in admin can use the admin API from the admin's own page (the attack's premise)", async () => {
  const page = await context.newPage();
  await page.goto(`${gateway.url}/admin/`);
  const token = await page.evaluate(
    () => JSON.parse(document.body.getAttribute("hx-headers") ?? "{}")["X-CSRF-Token"] as string,
  );
  expect(token).toBeString();
  await page.close();
});

for (const [mode, paths] of [
  ["html", ["/mcp/hostile", "/hostile/mcp"]],
  ["json", ["/mcp/hostile"]],
  ["sse", ["/mcp/hostile"]],
] as const) {
  test(`a backend's ${mode} answer opened in the admin's browser runs no script and plants no server`, async () => {
    for (const path of paths) {
      const page = await context.newPage();
      const response = await page.goto(`${gateway.url}${path}?as=${mode}`);
      // What the page's script would have done is awaited, if it ran at all.
      const outcome = await page.evaluate(async () => {
        const w = window as unknown as { pwned?: boolean; attack?: Promise<number> };
        return { pwned: w.pwned ?? false, status: w.attack ? await w.attack : null };
      });
      expect(outcome).toEqual({ pwned: false, status: null });
      expect(serverNames()).toEqual(["hostile"]);
      const headers = response?.headers() ?? {};
      expect(headers["x-content-type-options"]).toBe("nosniff");
      expect(headers["content-security-policy"]).toContain("sandbox");
      expect(headers["content-security-policy"]).toContain("default-src 'none'");
      if (mode === "html") {
        // Not passed on: a JSON-RPC error instead of the backend's page.
        expect(response?.status()).toBe(502);
        expect(headers["content-type"]).toStartWith("application/json");
      }
      await page.close();
    }
    expect(serverNames()).toEqual(["hostile"]);
  });
}
