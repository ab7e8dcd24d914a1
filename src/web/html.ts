const BASE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'";

/** Headers every HTML page carries: a strict CSP (no inline script or style), no framing, no caching. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": `${BASE_CSP}; form-action 'self'`,
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  // Not "no-referrer" (the API default): with it browsers send `Origin: null` on our own form
  // posts, which the same-origin check must refuse. Other sites still learn nothing.
  "Referrer-Policy": "same-origin",
};

/**
 * The CSP source naming where an OAuth redirect URI sends the browser, for `form-action`.
 *
 * Why the sign-in and consent pages name it: browsers apply `form-action` to every hop of a form
 * submission's redirect chain (verified in Chromium). The consent form posts to the gateway, which
 * answers with a redirect to the client's redirect URI (Allow, Deny), and a sign-in posted during
 * an authorization may end there too (remembered consent: POST /login → 303 → 302). Under
 * `form-action 'self'` alone Chromium silently stops at the gateway. So the pages whose form may
 * end at the client add exactly this request's target (the registered redirect URI, checked
 * before) and nothing else: forms still cannot post to any other host, and the page stays
 * without inline script and unframeable. The redirect keeps the person's click (user activation),
 * which desktop apps' private-use schemes need; an intermediate page would need a second click.
 *
 * - http(s): the origin (scheme, host, port). CSP ignores paths after a redirect, so the origin
 *   is all a browser compares.
 * - A private-use scheme (`cursor:`, `vscode:`…): the scheme. Chromium does not match host
 *   sources of non-web schemes (`cursor://host` never matches; verified), and such a URL can
 *   only open the application that owns the scheme.
 * - An IPv6 literal (`http://[::1]:port`): CSP has no syntax for it (Chromium ignores the
 *   source), so the scheme (`http:`) is named; http redirect URIs are loopback-only anyway.
 */
export function formActionSource(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  const scheme = url.protocol;
  if (!/^[a-z][a-z0-9+.-]*:$/.test(scheme)) return undefined;
  if (scheme !== "http:" && scheme !== "https:") return scheme;
  if (url.hostname.startsWith("[")) return scheme;
  return url.origin;
}

/** The security headers, with `form-action` also allowing `formTarget` (an OAuth redirect URI). */
export function htmlSecurityHeaders(formTarget?: string): Record<string, string> {
  const source = formTarget === undefined ? undefined : formActionSource(formTarget);
  if (source === undefined) return { ...HTML_SECURITY_HEADERS };
  return { ...HTML_SECURITY_HEADERS, "Content-Security-Policy": `${BASE_CSP}; form-action 'self' ${source}` };
}

export type HeaderList = [string, string][];

export interface HtmlOptions {
  /** Where this page's form may end up after the gateway's redirects (see formActionSource). */
  formTarget?: string;
}

/** An HTML response with the security headers; `extra` may repeat a name (several Set-Cookie). */
export function htmlResponse(
  html: string,
  status = 200,
  extra: HeaderList = [],
  options: HtmlOptions = {},
): Response {
  const headers = new Headers(htmlSecurityHeaders(options.formTarget));
  for (const [name, value] of extra) headers.append(name, value);
  return new Response(html, { status, headers });
}

/** `303 See Other` (the method becomes GET), optionally setting cookies. */
export function seeOther(location: string, extra: HeaderList = []): Response {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const [name, value] of extra) headers.append(name, value);
  return new Response(null, { status: 303, headers });
}
