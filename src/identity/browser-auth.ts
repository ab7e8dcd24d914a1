import type { AppContext } from "../context.ts";
import type { BrowserSession } from "./browser-sessions.ts";
import type { Principal } from "./user-service.ts";

/** The session cookie's name: `__Host-` prefixed (Secure, path /, no Domain) when the public URL is https. */
export function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith("https:") ? "__Host-authmcp_session" : "authmcp_session";
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined; // malformed %-encoding: no usable cookie, not a 500
    }
  }
  return undefined;
}

/**
 * `Set-Cookie` for a cookie of ours: HttpOnly, SameSite=Lax, Path=/, Secure on https.
 *
 * Path=/ on purpose, although the session cookie is then also sent to the MCP paths. It is needed
 * by /login, /oauth/authorize, /setup and /admin, which share no path prefix, and a narrower Path
 * would protect nothing: Path is not a security boundary within an origin, since a script running
 * on any path of it can fetch('/admin/…') and the browser attaches a Path=/admin cookie to that.
 * What keeps a backend away from the admin is that nothing from a backend runs on this origin:
 * proxied answers are MCP content types only, with a `sandbox` CSP (an opaque origin, no script)
 * and nosniff (src/gateway/upstream-response.ts), and the proxy never forwards the Cookie header.
 */
export function cookieHeader(publicUrl: string, name: string, value: string, maxAgeSeconds: number): string {
  const secure = publicUrl.startsWith("https:") ? "; Secure" : "";
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export interface BrowserIdentity {
  session: BrowserSession;
  principal: Principal;
  cookieValue: string;
}

/** The person behind the session cookie, if the session is live and the user active. */
export function browserIdentity(ctx: AppContext, request: Request): BrowserIdentity | undefined {
  const cookieValue = readCookie(request, sessionCookieName(ctx.config.publicUrl));
  const session = ctx.browserSessions.resolve(cookieValue);
  if (!session || !cookieValue) return undefined;
  const principal = ctx.users.principal(session.userId);
  if (!principal?.isActive) return undefined;
  return { session, principal, cookieValue };
}

/**
 * True when a state-changing browser request comes from our own pages: the Origin (or, without
 * it, Sec-Fetch-Site) must be ours. Paired with the CSRF token, never a replacement for it.
 */
export function sameOriginRequest(request: Request, publicUrl: string): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin === new URL(publicUrl).origin;
  const site = request.headers.get("sec-fetch-site");
  return site === null || site === "same-origin" || site === "none";
}
