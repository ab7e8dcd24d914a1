import { afterEach, describe, expect, test } from "bun:test";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

let gateway: ListeningGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** A token request (cheap: an unknown client) from this test's loopback socket, with extra headers. */
function tokenRequest(g: ListeningGateway, headers: Record<string, string> = {}) {
  return fetch(`${g.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: "grant_type=client_credentials&client_id=nobody",
  }).then(async (response) => {
    await response.body?.cancel();
    return response.status;
  });
}

async function start(env: Record<string, string>) {
  gateway = await listeningGateway({ RATE_LIMIT_TOKEN_MAX: "1", ...env });
  return gateway;
}

describe("the client address for per-IP limits", () => {
  test("without TRUSTED_PROXIES a spoofed X-Forwarded-For or Forwarded is ignored: the socket address counts", async () => {
    const g = await start({});
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.1" })).toBe(401);
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.2" })).toBe(429);
    expect(await tokenRequest(g, { forwarded: "for=203.0.113.3" })).toBe(429);
    expect(await tokenRequest(g)).toBe(429);
  });

  test("a peer outside TRUSTED_PROXIES is not believed either", async () => {
    const g = await start({ TRUSTED_PROXIES: "10.0.0.0/8, fd00::/8" });
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.1" })).toBe(401);
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.2" })).toBe(429);
  });

  test("from a trusted proxy X-Forwarded-For names the client: each address has its own count", async () => {
    const g = await start({ TRUSTED_PROXIES: "127.0.0.1/32,::1" });
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.1" })).toBe(401);
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.1" })).toBe(429);
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.2" })).toBe(401);
    // Without the header the request is the proxy's own.
    expect(await tokenRequest(g)).toBe(401);
  });

  test("a client cannot escape by prepending its own X-Forwarded-For: the hop the proxy added counts", async () => {
    const g = await start({ TRUSTED_PROXIES: "127.0.0.1,10.0.0.0/8" });
    expect(await tokenRequest(g, { "x-forwarded-for": "198.51.100.7, 203.0.113.9" })).toBe(401);
    expect(await tokenRequest(g, { "x-forwarded-for": "198.51.100.8, 203.0.113.9" })).toBe(429);
    // A chain of trusted proxies is walked through to the first address that is not one.
    expect(await tokenRequest(g, { "x-forwarded-for": "192.0.2.1, 203.0.113.9, 10.1.2.3" })).toBe(429);
    expect(await tokenRequest(g, { "x-forwarded-for": "203.0.113.10, 10.1.2.3" })).toBe(401);
  });

  test("the Forwarded header (RFC 7239) from a trusted proxy, IPv6 with a port", async () => {
    const g = await start({ TRUSTED_PROXIES: "127.0.0.1" });
    expect(await tokenRequest(g, { forwarded: 'for="[2001:db8::1]:4711";proto=https' })).toBe(401);
    expect(await tokenRequest(g, { forwarded: 'for="[2001:db8::1]:9999"' })).toBe(429);
    expect(await tokenRequest(g, { forwarded: "for=192.0.2.60;by=203.0.113.43" })).toBe(401);
  });
});

describe("RATE_LIMIT_MAX_KEYS", () => {
  test("the limiter keeps counts for at most that many addresses: the oldest is forgotten first", async () => {
    const g = await start({ TRUSTED_PROXIES: "127.0.0.1", RATE_LIMIT_MAX_KEYS: "100" });
    const first = { "x-forwarded-for": "198.51.100.1" };
    expect(await tokenRequest(g, first)).toBe(401);
    expect(await tokenRequest(g, first)).toBe(429);
    // 99 more addresses fill the limiter; the 100th new one makes room by dropping the oldest.
    for (let i = 0; i < 100; i++) {
      expect(await tokenRequest(g, { "x-forwarded-for": `203.0.113.${i}` })).toBe(401);
    }
    expect(await tokenRequest(g, first)).toBe(401);
  });
});
