import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Addresses that answer with cloud instance credentials. */
const METADATA_ADDRESSES = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"]);
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data"]);

function ipv4Private(address: string): boolean {
  const parts = address.split(".").map(Number);
  const [a = 0, b = 0] = parts;
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224 // multicast, reserved, broadcast
  );
}

/** True for loopback, private, link-local, CGNAT, unique-local, multicast, metadata and unspecified addresses. */
export function isNonPublicAddress(address: string): boolean {
  const ip = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (METADATA_ADDRESSES.has(ip)) return true;
  const family = isIP(ip);
  if (family === 4) return ipv4Private(ip);
  if (family !== 6) return true;
  if (ip === "::" || ip === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped?.[1]) return ipv4Private(mapped[1]);
  if (/^::ffff:/.test(ip)) return true;
  const [first = 0, second = 0] = ip.split(":").map((g) => Number.parseInt(g || "0", 16));
  if (first === 0) return true; // ::/16: unspecified, loopback, IPv4-compatible and -mapped
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((first & 0xff00) === 0xff00) return true; // multicast
  // NAT64 and 6to4 may embed private IPv4 addresses; Teredo (2001::/32), benchmarking (2001:2::/48)
  // and documentation (2001:db8::/32) are not destinations. The rest of 2001::/16 is public.
  if (first === 0x64 || first === 0x2002) return true;
  if (first === 0x2001 && (second === 0 || second === 2 || second === 0xdb8)) return true;
  return false;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Checks an outbound URL before fetching it: https only, no credentials, and every address the
 * host resolves to is public. `allowedHosts` (host or host:port) may use http and non-public
 * addresses (development and tests). A DNS answer can change between this check and the fetch;
 * the fetch refuses redirects and is bounded in size and time, which limits what that could reach.
 */
export async function checkOutboundUrl(value: string, allowedHosts: readonly string[]): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: "not an absolute URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL are not allowed" };
  const allowed = allowedHosts.some(
    (h) => h.toLowerCase() === url.host.toLowerCase() || h.toLowerCase() === url.hostname.toLowerCase(),
  );
  if (url.protocol !== "https:" && !(allowed && url.protocol === "http:")) {
    return { ok: false, reason: "only https URLs are fetched" };
  }
  const host = url.hostname
    .toLowerCase()
    .replace(/\.$/, "")
    .replace(/^\[|\]$/g, "");
  if (METADATA_NAMES.has(host) || METADATA_ADDRESSES.has(host)) {
    return { ok: false, reason: "cloud metadata addresses are refused" };
  }
  if (allowed) return { ok: true, url };
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return { ok: false, reason: "the host name does not resolve" };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: "the host name does not resolve" };
  if (addresses.some(isNonPublicAddress)) {
    return { ok: false, reason: "the host resolves to a private, loopback or link-local address" };
  }
  return { ok: true, url };
}
