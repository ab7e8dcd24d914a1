import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestGateway } from "../support/context.ts";

/** A tiny cookie jar: what a browser would send back to the gateway. */
export class Jar {
  readonly cookies = new Map<string, string>();

  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/Max-Age=0\b/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export function hiddenValue(html: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1];
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** GET a page with the jar's cookies (storing what it sets); returns the response and its text. */
export async function getPage(gateway: TestGateway, jar: Jar, path: string) {
  const response = jar.take(await gateway.request(path, { headers: { cookie: jar.header() } }));
  return { response, html: await response.text() };
}

/** POST a form as the gateway's own page would (same Origin), with the jar's cookies. */
export async function postForm(
  gateway: TestGateway,
  jar: Jar,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = jar.take(
    await gateway.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: new URL(gateway.ctx.config.publicUrl).origin,
        cookie: jar.header(),
        ...headers,
      },
      body: formBody(fields),
    }),
  );
  return { response, html: await response.text() };
}

/** Loads a pre-login form and returns its CSRF token (the cookie lands in the jar). */
export async function formToken(gateway: TestGateway, jar: Jar, path: string): Promise<string> {
  const { response, html } = await getPage(gateway, jar, path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  const token = hiddenValue(html, "_csrf");
  if (!token) throw new Error(`no _csrf on ${path}`);
  return token;
}

export const ADMIN = { username: "root-admin", email: "root@example.test", password: "Correct-Horse-9" };

/** The setup code as the person running the gateway reads it: from the file in its data directory. */
export function readSetupCode(gateway: TestGateway): string {
  return readFileSync(join(gateway.ctx.config.dataDir, "setup-code"), "utf8").trim();
}

/** Completes the setup wizard in `jar` (which ends up logged in as the admin). */
export async function completeSetup(gateway: TestGateway, jar: Jar) {
  const token = await formToken(gateway, jar, "/setup");
  const result = await postForm(gateway, jar, "/setup", {
    _csrf: token,
    setup_code: readSetupCode(gateway),
    username: ADMIN.username,
    email: ADMIN.email,
    password: ADMIN.password,
    password_confirm: ADMIN.password,
  });
  if (result.response.status !== 303)
    throw new Error(`setup failed: ${result.response.status} ${result.html}`);
  return result;
}

/** Logs `username` in through the browser form in `jar`. */
export async function browserLogin(
  gateway: TestGateway,
  jar: Jar,
  username: string,
  password: string,
  returnTo = "/admin/",
) {
  const token = await formToken(gateway, jar, `/login?return_to=${encodeURIComponent(returnTo)}`);
  return postForm(gateway, jar, "/login", { _csrf: token, return_to: returnTo, username, password });
}

export function adminCount(gateway: TestGateway): number {
  return gateway.ctx.users.list().filter((u) => u.isAdmin).length;
}

/** Elements an HTML parser finds for `selector` (Bun's HTMLRewriter), with their attributes. */
export function parseElements(html: string, selector: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  new HTMLRewriter()
    .on(selector, {
      element(el) {
        found.push(Object.fromEntries(el.attributes));
      },
    })
    .transform(html);
  return found;
}

/** The text of each element `selector` matches (Bun's HTMLRewriter), entities decoded as a browser would. */
export function elementTexts(html: string, selector: string): string[] {
  const found: string[] = [];
  let current: string | undefined;
  new HTMLRewriter()
    .on(selector, {
      element(el) {
        current = "";
        el.onEndTag(() => {
          found.push(current ?? "");
          current = undefined;
        });
      },
      text(chunk) {
        if (current !== undefined) current += chunk.text;
      },
    })
    .transform(html);
  return found.map((t) =>
    t
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&#34;", '"')
      .replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&#x27;", "'")
      .replaceAll("&amp;", "&"),
  );
}
