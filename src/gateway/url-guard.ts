import { lookup } from "node:dns/promises";
import {
  embeddedIpv4,
  formatIp,
  type IpBytes,
  type IpNetwork,
  inNetwork,
  parseIp,
  parseNetwork,
} from "./ip-networks.ts";

/** Host names that only ever mean a cloud metadata service: refused by name, whatever they resolve to. */
const METADATA_NAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

/**
 * Addresses a backend or backend token URL may not reach unless MCP_BACKEND_ALLOWED_NETWORKS lists
 * them: link-local (where every cloud's instance metadata and credentials live: AWS, GCP, Azure,
 * OCI, DigitalOcean at 169.254.169.254, ECS task credentials at 169.254.170.2) and the metadata
 * addresses outside it. Loopback and private ranges stay allowed: MCP servers often run next to
 * the gateway, and refusing them by default would break the common setup.
 */
const REFUSED_NETWORKS: readonly IpNetwork[] = [
  "169.254.0.0/16",
  "fe80::/10",
  "fd00:ec2::254/128", // AWS instance metadata over IPv6
  "100.100.100.200/32", // Alibaba Cloud metadata (in the CGNAT range, which is otherwise allowed)
  "192.0.0.192/32", // Oracle Cloud Classic metadata
].map((text) => parseNetwork(text) as IpNetwork);

/** Resolves a host name to every address it has (the default uses the system resolver). */
export type HostResolver = (host: string) => Promise<string[]>;

export const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The part of a backend URL check that needs neither settings nor DNS: http/https, no credentials,
 * no fragment. Returns the problem, or undefined.
 */
export function backendUrlShapeProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "expected an absolute http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "expected an http or https URL";
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (url.hash) return "a fragment is not allowed";
  return undefined;
}

/**
 * Checks a backend (or backend token) URL as written, with the default networks (nothing allowed
 * on purpose): its shape, metadata host names, and an IP-literal host. Names are not resolved:
 * `BackendAddressGuard` does that.
 */
export function backendUrlProblem(value: string): string | undefined {
  return new BackendAddressGuard([], () => Date.now()).literalProblem(value);
}

/** What the guard concluded about one URL, and until when it holds. */
export interface AddressVerdict {
  /** Why the URL may not be reached; undefined when it may. */
  problem: string | undefined;
  expiresAt: number;
}

export interface AddressGuardOptions {
  /** How long a resolved name's verdict is reused at connect time, in ms. */
  cacheMs: number;
  resolve?: HostResolver;
}

/**
 * Where the gateway may send requests to backends: every address a backend's host name resolves to
 * is checked (IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo forms by the IPv4 address they
 * lead to) when a server is saved, and again before the gateway connects.
 *
 * At connect time the verdict per URL is cached for `cacheMs` (IP literals for good): the proxy's
 * hot path stays one Map lookup and resolves a name at most once per period. Checking only after a
 * connection error would not do: a request to a metadata address succeeds. The cost is a window:
 * a name that changes its answer (DNS rebinding) reaches the new address until the verdict expires
 * and the fetch resolves on its own. Redirects are never followed, so nothing else is reachable.
 */
export class BackendAddressGuard {
  private readonly allowed: IpNetwork[];
  private readonly verdicts = new Map<string, AddressVerdict>();
  private readonly inflight = new Map<string, Promise<AddressVerdict>>();
  private readonly resolve: HostResolver;
  private readonly cacheMs: number;
  /** Bumped by clear(): a lookup that started before a server changed does not fill the cache. */
  private generation = 0;

  constructor(
    allowedNetworks: readonly string[],
    private readonly now: () => number,
    options: AddressGuardOptions = { cacheMs: 0 },
  ) {
    this.allowed = allowedNetworks.map((text) => {
      const network = parseNetwork(text);
      if (!network) throw new Error(`not a network in CIDR form: ${text}`);
      return network;
    });
    this.resolve = options.resolve ?? systemResolver;
    this.cacheMs = options.cacheMs;
  }

  /** The cached verdict when it is still valid (the hot path); undefined: call `verdict`. */
  cached(url: string): AddressVerdict | undefined {
    const verdict = this.verdicts.get(url);
    if (verdict === undefined) return undefined;
    // An IP literal's verdict never expires: no clock read for it.
    return verdict.expiresAt === Number.POSITIVE_INFINITY || verdict.expiresAt > this.now()
      ? verdict
      : undefined;
  }

  /** The verdict at connect time: cached, or resolved now (concurrent callers share one lookup). */
  verdict(url: string): Promise<AddressVerdict> {
    const cached = this.cached(url);
    if (cached) return Promise.resolve(cached);
    let pending = this.inflight.get(url);
    if (!pending) {
      const generation = this.generation;
      pending = this.check(url)
        .then(({ problem, resolved }) => {
          const expiresAt = this.isLiteral(url) ? Number.POSITIVE_INFINITY : this.now() + this.cacheMs;
          const verdict = { problem, expiresAt };
          // A name that does not resolve is not cached: the fetch fails on its own, and the next
          // request tries again.
          if (resolved && generation === this.generation) this.verdicts.set(url, verdict);
          return verdict;
        })
        .finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return pending;
  }

  /** The problem with saving this URL (resolved now, never from the cache); undefined when fine. */
  async problemOnSave(url: string): Promise<string | undefined> {
    return (await this.check(url)).problem;
  }

  /** Forgets every cached verdict (a server was changed: its URL may point elsewhere now). */
  clear(): void {
    this.generation++;
    this.verdicts.clear();
    this.inflight.clear();
  }

  /** The problem visible without DNS: shape, metadata names, an IP-literal host. */
  literalProblem(value: string): string | undefined {
    const shape = backendUrlShapeProblem(value);
    if (shape) return shape;
    const host = hostOf(value);
    if (METADATA_NAMES.has(host)) return "cloud metadata addresses are refused";
    const literal = parseIp(host);
    return literal ? this.addressProblem(literal) : undefined;
  }

  /** Why `address` may not be reached, or undefined. */
  addressProblem(address: IpBytes): string | undefined {
    if (this.allowed.some((network) => inNetwork(address, network))) return undefined;
    for (const form of [address, ...embeddedIpv4(address)]) {
      const refused = REFUSED_NETWORKS.find((network) => inNetwork(form, network));
      if (refused && !this.allowed.some((network) => inNetwork(form, network))) {
        const via = form === address ? "" : ` (through ${formatIp(address)})`;
        return `${formatIp(form)}${via} is a link-local or cloud metadata address; list it in MCP_BACKEND_ALLOWED_NETWORKS to allow it`;
      }
    }
    return undefined;
  }

  private isLiteral(url: string): boolean {
    return parseIp(hostOf(url)) !== undefined;
  }

  private async check(url: string): Promise<{ problem: string | undefined; resolved: boolean }> {
    const literal = this.literalProblem(url);
    if (literal) return { problem: literal, resolved: true };
    const host = hostOf(url);
    if (parseIp(host)) return { problem: undefined, resolved: true };
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch {
      // Saving a server whose name does not resolve yet (a container not started) is allowed:
      // every connection is checked again, and a name that does not resolve reaches nothing.
      return { problem: undefined, resolved: false };
    }
    for (const text of addresses) {
      const address = parseIp(text);
      if (!address) continue;
      const problem = this.addressProblem(address);
      if (problem) return { problem: `${host} resolves to ${problem}`, resolved: true };
    }
    return { problem: undefined, resolved: addresses.length > 0 };
  }
}

/** The URL's host name, lower case, without a trailing dot (brackets kept for IPv6). */
function hostOf(value: string): string {
  return new URL(value).hostname.toLowerCase().replace(/\.$/, "");
}
