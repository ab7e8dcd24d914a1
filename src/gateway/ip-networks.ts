import { isIP } from "node:net";

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

/** A network in CIDR form. */
export interface IpNetwork {
  bytes: IpBytes;
  prefix: number;
  /** As written by the operator (or the code), for messages. */
  text: string;
}

/** The bytes of an IPv4 or IPv6 address (brackets and a zone id allowed), or undefined. */
export function parseIp(text: string): IpBytes | undefined {
  let address = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  const family = isIP(address);
  if (family === 4) return ipv4Bytes(address);
  if (family === 6) return ipv6Bytes(address);
  return undefined;
}

function ipv4Bytes(address: string): IpBytes {
  return Uint8Array.from(address.split("."), Number);
}

/** Expects text `isIP` accepted as IPv6 (at most one `::`, an IPv4 tail only at the end). */
function ipv6Bytes(address: string): IpBytes {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const words = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128); undefined when malformed. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf("/");
  const bytes = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: max, text };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { bytes, prefix, text };
}

export function inNetwork(address: IpBytes, network: IpNetwork): boolean {
  if (address.length !== network.bytes.length) return false;
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== network.bytes[i]) return false;
  const bits = network.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((address[full] ?? 0) & mask) === ((network.bytes[full] ?? 0) & mask);
}

/**
 * The IPv4 addresses an IPv6 address leads to: IPv4-mapped (`::ffff:0:0/96`), SIIT
 * (`::ffff:0:0:0/96`), IPv4-compatible (`::/96`, deprecated but still routed by some stacks),
 * NAT64 (`64:ff9b::/96`, local-use `64:ff9b:1::/48`), 6to4 (`2002::/16`) and Teredo
 * (`2001::/32`: server and obfuscated client). `[::169.254.169.254]` reaches 169.254.169.254
 * on hosts that route these forms, so each embedded address is checked like the address itself.
 */
export function embeddedIpv4(address: IpBytes): IpBytes[] {
  if (address.length !== 16) return [];
  const word = (i: number) => ((address[i * 2] ?? 0) << 8) | (address[i * 2 + 1] ?? 0);
  const last = () => address.slice(12, 16);
  const zeros = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (word(i) !== 0) return false;
    return true;
  };
  if (zeros(0, 5) && word(5) === 0xffff) return [last()]; // mapped
  if (zeros(0, 4) && word(4) === 0xffff && word(5) === 0) return [last()]; // SIIT
  if (zeros(0, 6)) return [last()]; // compatible (:: and ::1 included: 0.0.0.0, 0.0.0.1)
  if (word(0) === 0x64 && word(1) === 0xff9b && (zeros(2, 6) || word(2) === 1)) return [last()];
  if (word(0) === 0x2002) return [address.slice(2, 6)];
  if (word(0) === 0x2001 && word(1) === 0) {
    const client = last().map((b) => b ^ 0xff);
    return [address.slice(4, 8), client];
  }
  return [];
}

/** Text form for messages: dotted IPv4, or compressed-enough IPv6. */
export function formatIp(address: IpBytes): string {
  if (address.length === 4) return address.join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push((((address[i] ?? 0) << 8) | (address[i + 1] ?? 0)).toString(16));
  return words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack socket reports IPv4 peers) as IPv4. */
export function unmappedIp(address: IpBytes): IpBytes {
  if (address.length !== 16 || address[10] !== 0xff || address[11] !== 0xff) return address;
  for (let i = 0; i < 10; i++) if (address[i] !== 0) return address;
  return address.slice(12, 16);
}

/** A network written in IPv4-mapped form (`::ffff:10.0.0.0/104`) as the IPv4 network it covers. */
export function unmappedNetwork(network: IpNetwork): IpNetwork {
  if (network.bytes.length !== 16 || network.prefix < 96) return network;
  const bytes = unmappedIp(network.bytes);
  return bytes === network.bytes ? network : { bytes, prefix: network.prefix - 96, text: network.text };
}
