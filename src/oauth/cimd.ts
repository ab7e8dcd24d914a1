import type { Clock } from "../clock.ts";
import { clientNameProblem } from "./client-name.ts";
import type { OAuthClient } from "./client-store.ts";
import { redirectUriProblem } from "./redirect-uri.ts";
import { DEFAULT_SCOPE } from "./scopes.ts";
import { checkOutboundUrl } from "./ssrf.ts";

export interface CimdOptions {
  timeoutMs: number;
  maxBytes: number;
  cacheMaxSeconds: number;
  cacheEntries: number;
  /** How long a refused or unreachable document is remembered as refused (0: not at all). */
  negativeCacheSeconds: number;
  /** Most documents fetched at once, all hosts together. */
  maxConcurrentFetches: number;
  /** Most documents fetched at once from one host (host:port). */
  maxConcurrentFetchesPerHost: number;
  allowedHosts: readonly string[];
  /** Extra trusted CA certificates (PEM). */
  ca?: string;
}

export type CimdResult = { ok: true; client: OAuthClient } | { ok: false; reason: string };

/** True when a client_id is meant as a Client ID Metadata Document URL. */
export function looksLikeCimd(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * Fetches Client ID Metadata Documents (URL-form client_ids): SSRF-guarded, no redirects, bounded
 * size and time, cached per Cache-Control max-age (capped; bounded number of entries).
 *
 * Anyone can present any URL as a client_id, so each unknown one costs the gateway an outbound
 * request. Bounded three ways: a refusal is remembered for `negativeCacheSeconds` (a broken or
 * hostile URL asked for again and again is fetched once per period), concurrent requests for the
 * same URL share one fetch, and fetches in flight are capped globally and per host. Beyond a cap
 * the authorization fails at once with a message saying so (not remembered: it is about load, not
 * the document) rather than queueing behind slow hosts.
 */
export class CimdFetcher {
  private readonly cache = new Map<string, { expiresAt: number; result: CimdResult }>();
  private readonly inFlight = new Map<string, Promise<CimdResult>>();
  private readonly perHost = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: CimdOptions,
  ) {}

  async resolve(clientId: string): Promise<CimdResult> {
    const now = this.clock.now();
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt > now) return cached.result;
    this.cache.delete(clientId);
    const shared = this.inFlight.get(clientId);
    if (shared) return shared;
    const host = hostOf(clientId);
    if (host === undefined) return { ok: false, reason: "client_id is not a valid URL" };
    const busy = this.busy(host);
    if (busy) return { ok: false, reason: busy };
    const fetching = this.fetchAndRemember(clientId, host);
    this.inFlight.set(clientId, fetching);
    try {
      return await fetching;
    } finally {
      this.inFlight.delete(clientId);
    }
  }

  private busy(host: string): string | undefined {
    if (this.inFlight.size >= this.options.maxConcurrentFetches) {
      return "too many client metadata documents are being fetched at once; try again shortly";
    }
    if ((this.perHost.get(host) ?? 0) >= this.options.maxConcurrentFetchesPerHost) {
      return `too many client metadata documents are being fetched from ${host} at once; try again shortly`;
    }
    return undefined;
  }

  private async fetchAndRemember(clientId: string, host: string): Promise<CimdResult> {
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    let fetched: { result: CimdResult; maxAgeSeconds: number };
    try {
      fetched = await this.fetchDocument(clientId);
    } finally {
      const left = (this.perHost.get(host) ?? 1) - 1;
      if (left > 0) this.perHost.set(host, left);
      else this.perHost.delete(host);
    }
    const { result, maxAgeSeconds } = fetched;
    const ttl = result.ok
      ? Math.min(maxAgeSeconds, this.options.cacheMaxSeconds)
      : this.options.negativeCacheSeconds;
    if (ttl > 0) {
      while (this.cache.size >= this.options.cacheEntries) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
      this.cache.set(clientId, { expiresAt: this.clock.now() + ttl * 1000, result });
    }
    return result;
  }

  private async fetchDocument(clientId: string): Promise<{ result: CimdResult; maxAgeSeconds: number }> {
    const fail = (reason: string) => ({ result: { ok: false, reason } as const, maxAgeSeconds: 0 });
    if (clientId.length > 2000) return fail("client_id URL is too long");
    const check = await checkOutboundUrl(clientId, this.options.allowedHosts);
    if (!check.ok) return fail(check.reason);
    if (check.url.hash || check.url.pathname === "/" || check.url.pathname === "") {
      return fail("client_id URL must have a path and no fragment");
    }
    let response: Response;
    try {
      response = await fetch(check.url, {
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { Accept: "application/json" },
        ...(this.options.ca ? { tls: { ca: this.options.ca } } : {}),
      });
    } catch {
      return fail("the metadata document could not be fetched");
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      return fail(`the metadata document answered HTTP ${response.status}`);
    }
    const body = await readLimited(response, this.options.maxBytes, this.options.timeoutMs);
    if (body === undefined) return fail("the metadata document is too large or too slow");
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return fail("the metadata document is not JSON");
    }
    const parsed = parseDocument(clientId, doc, this.clock.now());
    return { result: parsed, maxAgeSeconds: maxAge(response.headers.get("cache-control")) };
  }
}

function hostOf(clientId: string): string | undefined {
  try {
    return new URL(clientId).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function maxAge(cacheControl: string | null): number {
  if (!cacheControl || /no-store|no-cache/i.test(cacheControl)) return 0;
  const match = /max-age=(\d+)/i.exec(cacheControl);
  return match?.[1] ? Number(match[1]) : 0;
}

async function readLimited(
  response: Response,
  limit: number,
  timeoutMs: number,
): Promise<string | undefined> {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit || Date.now() > deadline) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseDocument(clientId: string, doc: unknown, now: number): CimdResult {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { ok: false, reason: "the metadata document is not a JSON object" };
  }
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId)
    return { ok: false, reason: "the document's client_id does not equal its URL" };
  if (typeof d.client_name !== "string" || d.client_name.trim() === "") {
    return { ok: false, reason: "the document needs a client_name" };
  }
  const nameProblem = clientNameProblem(d.client_name);
  if (nameProblem) return { ok: false, reason: nameProblem };
  const uris = d.redirect_uris;
  if (
    !Array.isArray(uris) ||
    uris.length === 0 ||
    uris.length > 20 ||
    !uris.every((u) => typeof u === "string")
  ) {
    return { ok: false, reason: "the document needs redirect_uris" };
  }
  for (const uri of uris as string[]) {
    const problem = redirectUriProblem(uri);
    if (problem) return { ok: false, reason: problem };
  }
  const method = d.token_endpoint_auth_method ?? "none";
  if (method !== "none") {
    return { ok: false, reason: "metadata document clients must use token_endpoint_auth_method none" };
  }
  return {
    ok: true,
    client: {
      clientId,
      name: d.client_name,
      redirectUris: uris as string[],
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: "none",
      scope: DEFAULT_SCOPE,
      source: "cimd",
      status: "active",
      secretHash: null,
      createdAt: now,
    },
  };
}
