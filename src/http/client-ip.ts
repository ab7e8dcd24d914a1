import { type IpBytes, type IpNetwork, inNetwork, parseIp, parseNetwork } from "../gateway/ip-networks.ts";

type PeerLookup = { requestIP(r: Request): { address: string } | null } | null | undefined;

/** The operator's TRUSTED_PROXIES, parsed once (the setting refuses malformed entries at start). */
export function trustedProxyNetworks(entries: readonly string[]): IpNetwork[] {
  return entries.flatMap((entry) => parseNetwork(entry) ?? []);
}

/**
 * The client's address: the socket peer, unless the peer is one of the trusted proxies. Then the
 * proxies' headers are read from the right (the hop the nearest proxy added) leftwards, skipping
 * hops that are themselves trusted proxies: the first other address is the client. Whatever a
 * client wrote into the header itself lies further left and is never reached unless every proxy
 * after it is trusted. X-Forwarded-For is read when present, else `Forwarded` (RFC 7239 `for=`);
 * a trusted proxy must set or append to the one it uses. A hop that is not an address (`unknown`,
 * an obfuscated name, garbage) ends the walk at the last proxy seen.
 */
export function clientIp(request: Request, server: PeerLookup, trustedProxies: readonly IpNetwork[]): string {
  const peer = server?.requestIP(request)?.address ?? "unknown";
  if (trustedProxies.length === 0 || !isTrusted(peer, trustedProxies)) return peer;
  const hops = forwardedHops(request.headers);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i] as string);
    if (hop === undefined) break;
    client = hop;
    if (!isTrusted(hop, trustedProxies)) break;
  }
  return client;
}

function forwardedHops(headers: Headers): string[] {
  const xff = headers.get("x-forwarded-for");
  if (xff !== null) return xff.split(",");
  const forwarded = headers.get("forwarded");
  if (forwarded === null) return [];
  return forwarded.split(",").map((element) => {
    for (const pair of element.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === "for") return pair.slice(eq + 1);
    }
    return "";
  });
}

/** `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:4711"`, `2001:db8::1` → the address text; else undefined. */
function hopAddress(raw: string): string | undefined {
  let text = raw.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    text = end > 0 ? text.slice(1, end) : text;
  } else if (text.indexOf(":") === text.lastIndexOf(":") && text.includes(".")) {
    const colon = text.indexOf(":");
    if (colon > 0) text = text.slice(0, colon);
  }
  return parseIp(text) === undefined ? undefined : text;
}

function isTrusted(address: string, networks: readonly IpNetwork[]): boolean {
  const bytes = parseIp(address);
  if (bytes === undefined) return false;
  const mapped = ipv4Mapped(bytes);
  for (const network of networks) {
    if (inNetwork(bytes, network) || (mapped !== undefined && inNetwork(mapped, network))) return true;
  }
  return false;
}

/** `::ffff:a.b.c.d` (how a dual-stack socket reports an IPv4 peer) as its IPv4 bytes. */
function ipv4Mapped(bytes: IpBytes): IpBytes | undefined {
  if (bytes.length !== 16 || bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  return bytes.slice(12, 16);
}
