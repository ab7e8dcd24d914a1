/**
 * What of a backend's answer may reach the client, on the gateway's origin. The gateway's origin is
 * trusted by the admin's cookie, so nothing a backend sends may run there or speak for it.
 */

/**
 * Every proxied answer (and every answer of the legacy bridge) is a sandboxed document: no script,
 * no plugin, no form, an opaque origin, never framed. A browser that navigates to `/mcp/{server}`
 * shows text at most; even a JSON or SSE body written as HTML cannot reach `/admin` from there.
 */
export const PROXIED_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

/**
 * Response headers of a backend that reach the client: an allow-list of what MCP's Streamable HTTP
 * transport uses, and the entity headers of the body passed as it is. Everything else is dropped.
 * An allow-list because a deny-list cannot be complete: browsers give origin-wide meaning to more
 * headers every year (Set-Cookie, Content-Security-Policy, Strict-Transport-Security, Alt-Svc,
 * Clear-Site-Data, Refresh, Link, Location, WWW-Authenticate, Access-Control-*, Cross-Origin-*,
 * Origin-Agent-Cluster, Permissions-Policy, Report-To, NEL, Reporting-Endpoints, Server-Timing,
 * Public-Key-Pins, Content-Disposition, X-Frame-Options, …), and a backend is another origin that
 * may speak for none of them. Hop-by-hop headers (Connection, Keep-Alive, Transfer-Encoding) are
 * not on it either. `date` and `vary` are harmless and keep the common answer free of deletions.
 */
const PASSED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "content-encoding", // the body is passed still encoded (fetch with decompress: false)
  "mcp-session-id",
  "mcp-protocol-version",
  "cache-control",
  "retry-after", // a backend's 429 or 503 tells the client when to come back
  "vary",
  "date",
]);

/** The media types of MCP's transport (parameters allowed); any other answer is not passed on. */
const MCP_CONTENT_TYPE = /^\s*(?:application\/json|text\/event-stream)\s*(?:;|$)/i;

export function isMcpContentType(contentType: string | null): boolean {
  if (contentType === "application/json") return true; // the common answer, without the regex
  return contentType !== null && MCP_CONTENT_TYPE.test(contentType);
}

/**
 * Keeps only the allowed headers of a backend's answer and adds the gateway's sandbox and nosniff.
 * Allocates only when the backend sent a header to drop.
 */
export function confineBackendHeaders(headers: Headers): void {
  let dropped: string[] | undefined;
  // Collected first: deleting while iterating a Headers skips entries.
  for (const name of headers.keys()) {
    if (PASSED_RESPONSE_HEADERS.has(name)) continue;
    dropped ??= [];
    dropped.push(name);
  }
  if (dropped !== undefined) for (const name of dropped) headers.delete(name);
  sandboxHeaders(headers);
}

/** Sets the sandbox CSP and nosniff (a backend's own values never survive). */
export function sandboxHeaders(headers: Headers): void {
  headers.set("content-security-policy", PROXIED_CSP);
  headers.set("x-content-type-options", "nosniff");
}

/** The same response with the sandbox CSP and nosniff set (for answers the gateway built itself). */
export function sandboxed(response: Response): Response {
  sandboxHeaders(response.headers);
  return response;
}

/**
 * True when the body turns out to be empty; false as soon as one byte arrives, or when nothing ends
 * it within `timeoutMs`. Used only for answers whose content type is not MCP's (a 202 or a DELETE's
 * 200 without a body, sent chunked by many servers): the body is consumed either way.
 */
export async function bodyIsEmpty(response: Response, timeoutMs: number): Promise<boolean> {
  const body = response.body;
  if (body === null) return true;
  if (response.headers.get("content-length") === "0") {
    // Nothing to read (a 202 to a notification, typically): no reader, no timer.
    void body.cancel().catch(() => {});
    return true;
  }
  const reader = body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel().catch(() => {});
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return !timedOut;
      if (value.byteLength > 0) {
        void reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
