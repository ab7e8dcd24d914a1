import type { AppContext } from "../context.ts";
import { constantTimeEqual, randomToken } from "../crypto/random.ts";
import { readCookie, sameOriginRequest } from "../identity/browser-auth.ts";

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Name of the double-submit CSRF cookie of forms shown before login (setup, login). */
export function formTokenCookieName(publicUrl: string): string {
  return publicUrl.startsWith("https:") ? "__Host-authmcp_csrf" : "authmcp_csrf";
}

export interface FormToken {
  token: string;
  /** `Set-Cookie` value that (re)sets the cookie holding the token. */
  setCookie: string;
}

/**
 * The token for a pre-login form: the one already in the browser's cookie when it is well formed,
 * else a fresh random one. Either way the cookie is (re)sent so its lifetime restarts.
 */
export function issueFormToken(ctx: AppContext, request: Request): FormToken {
  const { publicUrl, webFormTokenMinutes } = ctx.config;
  const name = formTokenCookieName(publicUrl);
  const existing = readCookie(request, name);
  const token = existing && TOKEN_PATTERN.test(existing) ? existing : randomToken(32);
  const secure = publicUrl.startsWith("https:") ? "; Secure" : "";
  return {
    token,
    setCookie: `${name}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${webFormTokenMinutes * 60}${secure}`,
  };
}

/**
 * Double-submit check of a pre-login form: the posted `_csrf` equals the cookie (constant time) and
 * the request comes from our own origin.
 */
export function checkFormToken(ctx: AppContext, request: Request, presented: string | undefined): boolean {
  const cookie = readCookie(request, formTokenCookieName(ctx.config.publicUrl));
  if (!cookie || !TOKEN_PATTERN.test(cookie) || typeof presented !== "string") return false;
  const tokenMatches = constantTimeEqual(presented, cookie);
  return tokenMatches && sameOriginRequest(request, ctx.config.publicUrl);
}
