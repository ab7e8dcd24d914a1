import type { AppContext } from "../context.ts";
import { browserIdentity, cookieHeader, sessionCookieName } from "../identity/browser-auth.ts";

/**
 * Starts a browser session for `userId` and returns its `Set-Cookie` value. A session the browser
 * already had is ended first, so a planted cookie never becomes a logged-in one (session fixation).
 */
export function startBrowserSession(ctx: AppContext, request: Request, userId: string): string {
  const previous = browserIdentity(ctx, request);
  if (previous) ctx.browserSessions.destroy(previous.cookieValue);
  const { cookieValue } = ctx.browserSessions.create(userId, request.headers.get("user-agent"));
  const { publicUrl, adminSessionHours } = ctx.config;
  return cookieHeader(publicUrl, sessionCookieName(publicUrl), cookieValue, adminSessionHours * 3600);
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(ctx: AppContext): string {
  const { publicUrl } = ctx.config;
  return cookieHeader(publicUrl, sessionCookieName(publicUrl), "", 0);
}
