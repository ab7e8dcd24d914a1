import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { isNonPublicAddress } from "../../src/oauth/ssrf.ts";
import { type TestGateway, testGateway } from "../support/context.ts";
import {
  authorizeQuery,
  browserUser,
  exchangeCode,
  obtainCode,
  pkcePair,
  REDIRECT,
} from "../support/oauth-helpers.ts";

const PUBLIC = "https://gw.example.test";

/** A loopback server of metadata documents; each path decides what it answers. */
let docs: ReturnType<typeof Bun.serve>;
let base: string;
const hits: string[] = [];
let held = Promise.withResolvers<void>();
beforeAll(() => {
  docs = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      hits.push(path);
      const self = `${base}${path}`;
      if (path === "/good.json") {
        return Response.json(
          { client_id: self, client_name: "Loopback CIMD app", redirect_uris: [REDIRECT] },
          { headers: { "Cache-Control": "max-age=60" } },
        );
      }
      if (path === "/mismatch.json")
        return Response.json({
          client_id: `${base}/other.json`,
          client_name: "x",
          redirect_uris: [REDIRECT],
        });
      if (path === "/noname.json") return Response.json({ client_id: self, redirect_uris: [REDIRECT] });
      if (path === "/bidi.json")
        return Response.json({ client_id: self, client_name: "Claude\u202eevil", redirect_uris: [REDIRECT] });
      if (path === "/redirect.json")
        return new Response(null, { status: 302, headers: { Location: `${base}/good.json` } });
      if (path === "/big.json")
        return Response.json({
          client_id: self,
          client_name: "x".repeat(100_000),
          redirect_uris: [REDIRECT],
        });
      if (path.startsWith("/held-")) {
        // Answers once the test releases it: a fetch kept in flight.
        await held.promise;
        return Response.json({ client_id: self, client_name: "Held app", redirect_uris: [REDIRECT] });
      }
      if (path === "/slow.json") {
        await new Promise(() => {});
      }
      if (path === "/secret.json")
        return Response.json({
          client_id: self,
          client_name: "x",
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: "client_secret_basic",
        });
      return new Response("not found", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${docs.port}`;
});
afterAll(() => docs.stop(true));

let gw: TestGateway;
beforeEach(async () => {
  hits.length = 0;
  held = Promise.withResolvers<void>();
  gw = await testGateway({
    MCP_PUBLIC_URL: PUBLIC,
    OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}`,
    OAUTH_CIMD_TIMEOUT_MS: "300",
  });
});
afterEach(async () => {
  held.resolve();
  await gw.close();
});

async function authorizeWith(
  clientId: string,
  gateway: TestGateway = gw,
  signedIn?: Awaited<ReturnType<typeof browserUser>>,
) {
  const session = signedIn ?? (await browserUser(gateway));
  const { challenge } = await pkcePair();
  return gateway.request(
    authorizeQuery({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
    { headers: { cookie: session.cookie } },
  );
}

describe("client ID metadata documents", () => {
  test("a valid document: consent shows its name; code exchange as a public client; cached per max-age", async () => {
    const clientId = `${base}/good.json`;
    const res = await authorizeWith(clientId);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Loopback CIMD app");
    const session = await browserUser(gw);
    const pkce = await pkcePair();
    const { code } = await obtainCode(gw, session, { client_id: clientId, code_challenge: pkce.challenge });
    const token = await exchangeCode(gw, clientId, code, pkce.verifier);
    expect(token.status).toBe(200);
    expect(hits.filter((h) => h === "/good.json").length).toBe(1);
    gw.clock.advance(61_000);
    await authorizeWith(clientId);
    expect(hits.filter((h) => h === "/good.json").length).toBe(2);
  });

  test("document whose client_id differs from its URL is refused (page, no redirect)", async () => {
    const res = await authorizeWith(`${base}/mismatch.json`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("client_id");
  });

  test.each([
    "/noname.json",
    "/bidi.json",
    "/redirect.json",
    "/big.json",
    "/slow.json",
    "/secret.json",
    "/missing.json",
  ])("refused: %s", async (path) => {
    const res = await authorizeWith(`${base}${path}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  test("URL resolving to a private or loopback address is refused before any request", async () => {
    const g = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
    try {
      const session = await browserUser(g);
      const { challenge } = await pkcePair();
      for (const clientId of [
        `https://localhost:${docs.port}/good.json`,
        `https://127.0.0.1:${docs.port}/good.json`,
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/client.json",
        "https://100.64.0.1/c.json",
        `${base}/good.json`,
      ]) {
        const res = await g.request(
          authorizeQuery({
            response_type: "code",
            client_id: clientId,
            redirect_uri: REDIRECT,
            code_challenge: challenge,
            code_challenge_method: "S256",
          }),
          { headers: { cookie: session.cookie } },
        );
        expect(res.status).toBe(400);
        expect(res.headers.get("location")).toBeNull();
      }
      expect(hits.length).toBe(0);
    } finally {
      await g.close();
    }
  });

  test("address classification", () => {
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fd00:ec2::254",
      "fe80::1",
      "fc00::1",
      "::ffff:127.0.0.1",
      "224.0.0.1",
      "::7f00:1",
      "::ffff:7f00:1",
      "2001::1",
      "2001:db8::1",
      "2002:a00:1::",
      "64:ff9b::a00:1",
      "not-an-ip",
    ]) {
      expect(isNonPublicAddress(a)).toBe(true);
    }
    for (const a of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
      expect(isNonPublicAddress(a)).toBe(false);
  });
});

describe("what one stranger's client_ids can cost the gateway", () => {
  const count = (path: string) => hits.filter((h) => h === path).length;
  /** Waits until the document server has been asked for `path` (bounded). */
  async function fetched(path: string) {
    for (let i = 0; i < 200 && count(path) === 0; i++) await Bun.sleep(10);
    expect(count(path)).toBe(1);
  }

  test("a document that failed is remembered as refused for a while, then fetched again", async () => {
    for (const path of ["/missing.json", "/mismatch.json", "/slow.json"]) {
      for (let i = 0; i < 3; i++) expect((await authorizeWith(`${base}${path}`)).status).toBe(400);
      expect({ path, fetched: count(path) }).toEqual({ path, fetched: 1 });
    }
    gw.clock.advance(61_000);
    expect((await authorizeWith(`${base}/missing.json`)).status).toBe(400);
    expect(count("/missing.json")).toBe(2);
  });

  test("OAUTH_CIMD_NEGATIVE_CACHE_SECONDS sets how long", async () => {
    const g = await testGateway({
      MCP_PUBLIC_URL: PUBLIC,
      OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}`,
      OAUTH_CIMD_NEGATIVE_CACHE_SECONDS: "5",
    });
    try {
      await authorizeWith(`${base}/missing.json`, g);
      g.clock.advance(4_000);
      await authorizeWith(`${base}/missing.json`, g);
      expect(count("/missing.json")).toBe(1);
      g.clock.advance(2_000);
      await authorizeWith(`${base}/missing.json`, g);
      expect(count("/missing.json")).toBe(2);
    } finally {
      await g.close();
    }
  });

  test("beyond the per-host limit of fetches in flight, the authorization fails at once with a page saying so", async () => {
    const g = await testGateway({
      MCP_PUBLIC_URL: PUBLIC,
      OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port}`,
      OAUTH_CIMD_TIMEOUT_MS: "10000",
      OAUTH_CIMD_MAX_CONCURRENT_FETCHES_PER_HOST: "1",
    });
    try {
      const first = authorizeWith(`${base}/held-1.json`, g);
      await fetched("/held-1.json");
      const refused = await authorizeWith(`${base}/held-2.json`, g); // answered while the first is held
      expect(refused.status).toBe(400);
      expect(refused.headers.get("location")).toBeNull();
      expect(await refused.text()).toContain("too many client metadata documents are being fetched");
      expect(count("/held-2.json")).toBe(0);
      held.resolve();
      expect((await first).status).toBe(200);
      // Not remembered: the refusal was about load, not about the document.
      expect((await authorizeWith(`${base}/held-2.json`, g)).status).toBe(200);
    } finally {
      await g.close();
    }
  });

  test("beyond the global limit, likewise, whatever the host", async () => {
    const g = await testGateway({
      MCP_PUBLIC_URL: PUBLIC,
      OAUTH_CIMD_ALLOWED_HOSTS: `127.0.0.1:${docs.port},localhost:${docs.port}`,
      OAUTH_CIMD_TIMEOUT_MS: "10000",
      OAUTH_CIMD_MAX_CONCURRENT_FETCHES: "1",
      OAUTH_CIMD_MAX_CONCURRENT_FETCHES_PER_HOST: "10",
    });
    try {
      const first = authorizeWith(`${base}/held-1.json`, g);
      await fetched("/held-1.json");
      const refused = await authorizeWith(`http://localhost:${docs.port}/held-2.json`, g);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("too many client metadata documents are being fetched");
      expect(count("/held-2.json")).toBe(0);
      held.resolve();
      expect((await first).status).toBe(200);
    } finally {
      await g.close();
    }
  });

  test("authorizations asking for the same document at once share one fetch", async () => {
    const session = await browserUser(gw);
    const all = Promise.all([1, 2, 3].map(() => authorizeWith(`${base}/held-same.json`, gw, session)));
    await fetched("/held-same.json");
    held.resolve();
    expect((await all).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(count("/held-same.json")).toBe(1);
  });
});
