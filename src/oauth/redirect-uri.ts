const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);
const REFUSED_SCHEMES = new Set([
  "javascript:",
  "data:",
  "vbscript:",
  "file:",
  "blob:",
  "about:",
  "ftp:",
  "ws:",
  "wss:",
]);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Why a redirect URI cannot be registered, or undefined: absolute, no fragment, no credentials;
 * https, http only on a loopback host (RFC 8252 §7.3), or a native app's private-use scheme
 * (RFC 8252 §7.1, e.g. `cursor://…`); never javascript:, data:, file: and the like.
 */
export function redirectUriProblem(value: string): string | undefined {
  if (value.length > 2000) return "redirect URI is too long";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "redirect URI must be an absolute URL";
  }
  if (value.includes("#")) return "redirect URI must not contain a fragment";
  if (url.username || url.password) return "redirect URI must not contain credentials";
  if (url.protocol === "https:") return url.hostname ? undefined : "redirect URI needs a host";
  if (url.protocol === "http:") {
    return isLoopbackHost(url.hostname)
      ? undefined
      : "http redirect URIs are allowed only on a loopback host";
  }
  if (REFUSED_SCHEMES.has(url.protocol)) return `redirect URI scheme ${url.protocol} is not allowed`;
  if (!url.host && (url.pathname === "" || url.pathname === "/")) return "redirect URI needs a path";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\s]/.test(value)) return "redirect URI must not contain whitespace";
  return undefined;
}

/** Exact match, except that for http loopback redirect URIs the port may differ (RFC 8252 §7.3). */
export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  if (registered.includes(presented)) return true;
  let url: URL;
  try {
    url = new URL(presented);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" || !isLoopbackHost(url.hostname) || presented.includes("#")) return false;
  if (url.username || url.password) return false;
  return registered.some((candidate) => {
    let reg: URL;
    try {
      reg = new URL(candidate);
    } catch {
      return false;
    }
    if (reg.protocol !== "http:" || reg.hostname !== url.hostname) return false;
    return reg.pathname === url.pathname && reg.search === url.search;
  });
}
