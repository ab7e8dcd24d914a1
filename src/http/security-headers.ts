/**
 * A response header name and value, set on every response unless the handler set it; with
 * `overwrite`, whatever the handler (or a proxied backend) set.
 */
export type HeaderPair = readonly [name: string, value: string, overwrite?: boolean];

/** Baseline headers of every response, whatever the public URL. */
const BASELINE: readonly HeaderPair[] = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
];

/**
 * The headers every response gets, computed once per configuration so that the hot path only
 * iterates a fixed array. With an https public URL this includes Strict-Transport-Security.
 *
 * `includeSubDomains` is left out on purpose: the public URL may sit on a host whose subdomains
 * are not the gateway's (for example an apex domain with the gateway under a path), and the header
 * would force https on all of them for a year. `preload` is an operator's decision, made at the
 * reverse proxy. Browsers ignore the header on plain-http responses (RFC 6797 §8.1), so sending it
 * behind a TLS-terminating proxy that talks http to the gateway is correct.
 */
export function securityHeaders(publicUrl: string, hstsMaxAgeSeconds: number): readonly HeaderPair[] {
  if (!publicUrl.toLowerCase().startsWith("https:")) return BASELINE;
  // The gateway's own policy wins over one a proxied backend sends (max-age=0 would switch it off).
  return [...BASELINE, ["strict-transport-security", `max-age=${hstsMaxAgeSeconds}`, true]];
}
