const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * Schemes that belong to browsers, operating systems and other protocols, never to an app waiting
 * for an authorization response: a code sent there is shown, stored, mailed, or runs as script.
 *
 * Why a deny-list for private-use schemes rather than an allow-list: RFC 8252 §7.1 lets every native
 * app claim its own scheme (`cursor://`, `vscode://`, `com.example.app:/cb`), and new MCP clients
 * appear every month; an allow-list would refuse each of them until the operator edits it. What must
 * never be a redirect target is the small, known set below (plus families matched by prefix). https
 * and loopback http are checked by their own rules; every URI must also be free of control
 * characters and whitespace, which parsers strip or mangle differently (`https://a/cb\n`).
 */
const REFUSED_SCHEMES = new Set([
  "about",
  "blob",
  "brave",
  "callto",
  "chrome",
  "content",
  "data",
  "devtools",
  "edge",
  "facetime",
  "file",
  "filesystem",
  "ftp",
  "geo",
  "intent",
  "jar",
  "javascript",
  "mailto",
  "market",
  "news",
  "nntp",
  "opera",
  "resource",
  "search",
  "sftp",
  "shell",
  "skype",
  "sms",
  "smb",
  "tel",
  "telnet",
  "urn",
  "vbscript",
  "view-source",
  "vivaldi",
  "ws",
  "wss",
]);
/** Whole families: browser internals and extensions, Windows and Apple system handlers. */
const REFUSED_SCHEME_PREFIXES = [
  "chrome-",
  "edge-",
  "moz-",
  "ms-",
  "opera-",
  "search-ms",
  "x-apple-",
  "web+",
];
const REFUSED_SCHEME_SUFFIXES = ["-extension"];

/**
 * Whitespace, C0/C1 control characters, invisible format characters (bidi overrides, zero-width:
 * they disguise the host shown on the consent page), the backslash and characters no URI contains.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const FORBIDDEN_CHARACTERS = /[\u0000-\u0020\u007f-\u009f\s\p{Cf}\\<>"{}|^`]/u;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

function refusedScheme(scheme: string): boolean {
  return (
    REFUSED_SCHEMES.has(scheme) ||
    REFUSED_SCHEME_PREFIXES.some((prefix) => scheme.startsWith(prefix)) ||
    REFUSED_SCHEME_SUFFIXES.some((suffix) => scheme.endsWith(suffix))
  );
}

/**
 * Why a redirect URI cannot be registered, or undefined: absolute, no fragment, no credentials, no
 * whitespace or control characters; https, http only on a loopback host (RFC 8252 §7.3), or a native
 * app's private-use scheme (RFC 8252 §7.1, e.g. `cursor://…`) that is not one of the browser, system
 * or protocol schemes above. Used for every client: DCR, admin API, config file, CIMD documents.
 */
export function redirectUriProblem(value: string): string | undefined {
  if (value.length > 2000) return "redirect URI is too long";
  if (FORBIDDEN_CHARACTERS.test(value)) {
    return 'redirect URI must not contain whitespace, control or invisible characters, or characters such as \\ < > "';
  }
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
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (refusedScheme(scheme)) return `redirect URI scheme ${url.protocol} is not allowed`;
  if (!url.host && (url.pathname === "" || url.pathname === "/")) return "redirect URI needs a path";
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
