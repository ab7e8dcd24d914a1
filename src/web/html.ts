/** Headers every HTML page carries: a strict CSP (no inline script or style), no framing, no caching. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
  // Not "no-referrer" (the API default): with it browsers send `Origin: null` on our own form
  // posts, which the same-origin check must refuse. Other sites still learn nothing.
  "Referrer-Policy": "same-origin",
};

export type HeaderList = [string, string][];

/** An HTML response with the security headers; `extra` may repeat a name (several Set-Cookie). */
export function htmlResponse(html: string, status = 200, extra: HeaderList = []): Response {
  const headers = new Headers(HTML_SECURITY_HEADERS);
  for (const [name, value] of extra) headers.append(name, value);
  return new Response(html, { status, headers });
}

/** `303 See Other` (the method becomes GET), optionally setting cookies. */
export function seeOther(location: string, extra: HeaderList = []): Response {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const [name, value] of extra) headers.append(name, value);
  return new Response(null, { status: 303, headers });
}
