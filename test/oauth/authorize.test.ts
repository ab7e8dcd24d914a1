import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ClientStore } from "../../src/oauth/client-store.ts";
import { formActionSource } from "../../src/web/html.ts";
import { type TestGateway, testGateway } from "../support/context.ts";
import {
  authorizeQuery,
  browserUser,
  form,
  pkcePair,
  REDIRECT,
  registerClient,
} from "../support/oauth-helpers.ts";

const PUBLIC = "https://gw.example.test";
let gw: TestGateway;
beforeEach(async () => {
  gw = await testGateway({ MCP_PUBLIC_URL: PUBLIC });
  gw.ctx.resources.addServerLookup((n) => n === "alpha");
});
afterEach(() => gw.close());

async function setup() {
  const client = await registerClient(gw);
  const session = await browserUser(gw);
  const { challenge } = await pkcePair();
  const base = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "xyz",
    resource: `${PUBLIC}/mcp/alpha`,
  };
  return { client, session, base };
}

function consentPost(
  session: { cookie: string; csrf: string },
  body: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return gw.request("/oauth/authorize", form(body, { cookie: session.cookie, origin: PUBLIC, ...headers }));
}

describe("authorize", () => {
  test("without a session: 303 to /login with the full authorize path as return_to", async () => {
    const { base } = await setup();
    const res = await gw.request(authorizeQuery(base));
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") as string, PUBLIC);
    expect(location.pathname).toBe("/login");
    const back = location.searchParams.get("return_to") as string;
    expect(back.startsWith("/oauth/authorize?")).toBe(true);
    expect(new URL(back, PUBLIC).searchParams.get("client_id")).toBe(base.client_id);
  });

  test("the alias /authorize behaves the same", async () => {
    const { base } = await setup();
    const res = await gw.request(authorizeQuery(base).replace("/oauth/authorize", "/authorize"));
    expect(res.status).toBe(303);
  });

  test("consent page: client name, redirect host, resource; not frameable, no-store; escaped", async () => {
    const client = await registerClient(gw, { client_name: "<script>alert(1)</script>Evil" });
    const session = await browserUser(gw);
    const { challenge } = await pkcePair();
    const res = await gw.request(
      authorizeQuery({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: '"><img src=x>',
      }),
      { headers: { cookie: session.cookie } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;Evil");
    expect(html).toContain("127.0.0.1:4567");
    expect(html).toContain(`${PUBLIC}/mcp`);
    expect(html).not.toContain('"><img src=x>');
    expect(html).toContain(session.csrf);
  });

  test("approve: redirect with code, state and iss; consent remembered", async () => {
    const { base, session } = await setup();
    const res = await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") as string);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get("code")?.length).toBeGreaterThan(30);
    expect(location.searchParams.get("state")).toBe("xyz");
    expect(location.searchParams.get("iss")).toBe(PUBLIC);
    const again = await gw.request(authorizeQuery(base), { headers: { cookie: session.cookie } });
    expect(again.status).toBe(302);
    expect(new URL(again.headers.get("location") as string).searchParams.get("code")).not.toBeNull();
    // Another resource needs consent again.
    const other = await gw.request(authorizeQuery({ ...base, resource: `${PUBLIC}/mcp` }), {
      headers: { cookie: session.cookie },
    });
    expect(other.status).toBe(200);
  });

  test("deny: access_denied with state and iss", async () => {
    const { base, session } = await setup();
    const res = await consentPost(session, { ...base, _csrf: session.csrf, decision: "deny" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") as string);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("xyz");
    expect(location.searchParams.get("iss")).toBe(PUBLIC);
    expect(location.searchParams.get("code")).toBeNull();
  });

  test("consent POST without CSRF token, with a wrong one, or cross-origin is refused and issues nothing", async () => {
    const { base, session } = await setup();
    const attempts = [
      consentPost(session, { ...base, decision: "approve" }),
      consentPost(session, { ...base, _csrf: "forged", decision: "approve" }),
      consentPost(
        session,
        { ...base, _csrf: session.csrf, decision: "approve" },
        { origin: "https://evil.example" },
      ),
      gw.request(
        "/oauth/authorize",
        form({ ...base, _csrf: session.csrf, decision: "approve" }, { origin: PUBLIC }),
      ),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.headers.get("location")).toBeNull();
    }
    const codes = gw.ctx.db.$client.query("select count(*) as n from oauth_codes").get() as { n: number };
    expect(codes.n).toBe(0);
  });

  test("plain or missing PKCE is refused (error redirect once the client is approved, no code)", async () => {
    const { base, session } = await setup();
    await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    for (const params of [
      { ...base, code_challenge_method: "plain" },
      { ...base, code_challenge: undefined },
      { ...base, code_challenge_method: undefined },
      { ...base, code_challenge: "short" },
    ]) {
      const res = await gw.request(authorizeQuery(params), { headers: { cookie: session.cookie } });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get("location") as string);
      expect(location.searchParams.get("error")).toBe("invalid_request");
      expect(location.searchParams.get("code")).toBeNull();
      expect(location.searchParams.get("state")).toBe("xyz");
    }
  });

  test("redirect_uri mismatch is shown as a page, never redirected", async () => {
    const { base, session } = await setup();
    for (const redirect of [
      "https://evil.example/cb",
      `${REDIRECT}/extra`,
      `${REDIRECT}?x=1`,
      "http://localhost:4567/callback",
      "http://user:pw@127.0.0.1:4567/callback",
      "http://user@127.0.0.1:9999/callback",
    ]) {
      const res = await gw.request(authorizeQuery({ ...base, redirect_uri: redirect }), {
        headers: { cookie: session.cookie },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toContain("text/html");
    }
  });

  test("loopback redirect URI may use another port (RFC 8252 §7.3)", async () => {
    const { base, session } = await setup();
    const res = await gw.request(
      authorizeQuery({ ...base, redirect_uri: "http://127.0.0.1:9999/callback" }),
      { headers: { cookie: session.cookie } },
    );
    expect(res.status).toBe(200);
  });

  test("unknown client and missing client_id: page, no redirect", async () => {
    const { base } = await setup();
    for (const params of [
      { ...base, client_id: "nope" },
      { ...base, client_id: undefined },
    ]) {
      const res = await gw.request(authorizeQuery(params));
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
  });

  test("duplicated parameters: page", async () => {
    const { base } = await setup();
    const res = await gw.request(
      `${authorizeQuery(base)}&redirect_uri=${encodeURIComponent("https://evil.example/")}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  test("unknown resource → invalid_target; unknown scope → invalid_scope; bad response_type", async () => {
    const { base, session } = await setup();
    await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    const cases: [Record<string, string | undefined>, string][] = [
      [{ ...base, resource: "https://other.example/mcp" }, "invalid_target"],
      [{ ...base, resource: `${PUBLIC}/mcp/nope` }, "invalid_target"],
      [{ ...base, scope: "admin" }, "invalid_scope"],
      [{ ...base, response_type: "token" }, "unsupported_response_type"],
    ];
    for (const [params, error] of cases) {
      const res = await gw.request(authorizeQuery(params), { headers: { cookie: session.cookie } });
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get("location") as string).searchParams.get("error")).toBe(error);
    }
  });

  test("approval mode: a registered client cannot authorize until approved", async () => {
    const g = await testGateway({ MCP_PUBLIC_URL: PUBLIC, OAUTH_REGISTRATION_MODE: "approval" });
    try {
      const client = await registerClient(g);
      const session = await browserUser(g);
      const { challenge } = await pkcePair();
      const q = authorizeQuery({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      const res = await g.request(q, { headers: { cookie: session.cookie } });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("waiting for approval");
    } finally {
      await g.close();
    }
  });
});

describe("remembered consents", () => {
  test("listed for the person, revocable with CSRF; revoked consent asks again", async () => {
    const { base, session } = await setup();
    await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    expect((await gw.request("/oauth/consents")).status).toBe(401);
    const list = (await (
      await gw.request("/oauth/consents", { headers: { cookie: session.cookie } })
    ).json()) as {
      consents: { id: string; client_id: string; resource: string }[];
    };
    expect(list.consents.length).toBe(1);
    const id = (list.consents[0] as { id: string }).id;
    expect(list.consents[0]?.resource).toBe(`${PUBLIC}/mcp/alpha`);
    const noCsrf = await gw.request(`/oauth/consents/${id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: PUBLIC },
    });
    expect(noCsrf.status).toBe(403);
    const other = await browserUser(gw, "mallory");
    const foreign = await gw.request(`/oauth/consents/${id}`, {
      method: "DELETE",
      headers: { cookie: other.cookie, origin: PUBLIC, "x-csrf-token": other.csrf },
    });
    expect(foreign.status).toBe(404);
    const ok = await gw.request(`/oauth/consents/${id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: PUBLIC, "x-csrf-token": session.csrf },
    });
    expect(ok.status).toBe(204);
    const again = await gw.request(authorizeQuery(base), { headers: { cookie: session.cookie } });
    expect(again.status).toBe(200);
  });
});

function formAction(res: Response): string {
  const csp = res.headers.get("content-security-policy") ?? "";
  return /form-action ([^;]*)/.exec(csp)?.[1] ?? "";
}

describe("the browser reaches the client (issue 10 §1)", () => {
  test("the consent page's form-action names 'self' and exactly this request's redirect target", async () => {
    const { base, session } = await setup();
    const res = await gw.request(
      authorizeQuery({ ...base, redirect_uri: "http://127.0.0.1:9999/callback" }),
      {
        headers: { cookie: session.cookie },
      },
    );
    expect(res.status).toBe(200);
    expect(formAction(res)).toBe("'self' http://127.0.0.1:9999");
    const csp = res.headers.get("content-security-policy") as string;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain("unsafe-inline");
  });

  test("private-use schemes are named by scheme; https by origin; IPv6 loopback by scheme", () => {
    expect(formActionSource("cursor://anysphere.cursor-mcp/oauth/callback")).toBe("cursor:");
    expect(formActionSource("vscode://vscode.github-authentication/did-authenticate")).toBe("vscode:");
    expect(formActionSource("com.example.app:/oauth2redirect")).toBe("com.example.app:");
    expect(formActionSource("https://app.example.com:8443/cb?x=1")).toBe("https://app.example.com:8443");
    expect(formActionSource("http://localhost:33418/")).toBe("http://localhost:33418");
    expect(formActionSource("http://[::1]:4000/cb")).toBe("http:");
    expect(formActionSource("not a url")).toBeUndefined();
  });

  test("the sign-in page during an authorization names the application, the server and the redirect target", async () => {
    const { base } = await setup();
    const first = await gw.request(authorizeQuery(base));
    const loginUrl = first.headers.get("location") as string;
    const res = await gw.request(loginUrl);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Test client");
    expect(html).toContain("unverified");
    expect(html).toContain("<strong>alpha</strong>");
    expect(html).toContain("127.0.0.1:4567");
    expect(formAction(res)).toBe("'self' http://127.0.0.1:4567");
  });

  test("a sign-in page for anything else, or for an unknown client or redirect URI, names nothing", async () => {
    const { base } = await setup();
    for (const returnTo of [
      "/admin/",
      authorizeQuery({ ...base, client_id: "nope" }),
      authorizeQuery({ ...base, redirect_uri: "https://evil.example/cb" }),
    ]) {
      const res = await gw.request(`/login?return_to=${encodeURIComponent(returnTo)}`);
      expect(res.status).toBe(200);
      expect(formAction(res)).toBe("'self'");
      const html = await res.text();
      expect(html).not.toContain("Test client");
      expect(html).not.toContain("redirect-host");
    }
  });
});

describe("consent and redirects (issue 11 §3)", () => {
  test("remembered consent of a public client is silent only for the exact redirect URI approved before", async () => {
    const { base, session } = await setup();
    const approved = await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    expect(approved.status).toBe(303);
    const same = await gw.request(authorizeQuery(base), { headers: { cookie: session.cookie } });
    expect(same.status).toBe(302);
    // Another loopback port (any local program can listen there): a one-click page, no code.
    const otherPort = { ...base, redirect_uri: "http://127.0.0.1:9999/callback" };
    const res = await gw.request(authorizeQuery(otherPort), { headers: { cookie: session.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    const html = await res.text();
    expect(html).toContain("Confirm sign-in");
    expect(html).toContain("http://127.0.0.1:9999/callback");
    const codes = gw.ctx.db.$client.query("select count(*) as n from oauth_codes").get() as { n: number };
    expect(codes.n).toBe(2); // the approval's and the silent one's, none for the other port
    // One click approves that URI too; from then on it is silent as well.
    const confirmed = await consentPost(session, { ...otherPort, _csrf: session.csrf, decision: "approve" });
    expect(new URL(confirmed.headers.get("location") as string).searchParams.get("code")).not.toBeNull();
    const again = await gw.request(authorizeQuery(otherPort), { headers: { cookie: session.cookie } });
    expect(again.status).toBe(302);
  });

  test("revoking the client's last consent forgets its approved redirect URIs", async () => {
    const { base, session } = await setup();
    await consentPost(session, { ...base, _csrf: session.csrf, decision: "approve" });
    const id = gw.ctx.db.$client.query("select id from oauth_consents").get() as { id: string };
    const revoked = await gw.request(`/oauth/consents/${id.id}`, {
      method: "DELETE",
      headers: { cookie: session.cookie, origin: PUBLIC, "x-csrf-token": session.csrf },
    });
    expect(revoked.status).toBe(204);
    const rows = gw.ctx.db.$client.query("select count(*) as n from oauth_consent_redirects").get() as {
      n: number;
    };
    expect(rows.n).toBe(0);
  });

  test("before the person approved the client, a bad parameter shows a page instead of redirecting", async () => {
    const { base, session } = await setup();
    const bad = { ...base, code_challenge_method: "plain" };
    for (const headers of [{}, { cookie: session.cookie }] as Record<string, string>[]) {
      const res = await gw.request(authorizeQuery(bad), { headers });
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(await res.text()).toContain("code_challenge_method must be S256");
    }
  });

  test("a self-registered name is shown as the client's unverified claim; an admin's client is not", async () => {
    const { base, session } = await setup();
    const res = await gw.request(authorizeQuery(base), { headers: { cookie: session.cookie } });
    const html = await res.text();
    expect(html).toContain("calls itself <strong>“Test client”</strong>");
    expect(html).toContain("unverified name");
    expect(html).toContain("has not checked it");
    expect(html).toContain('class="redirect-host">127.0.0.1:4567</strong>');
    expect(html).not.toMatch(/\bverified (app|application|client)/i);

    new ClientStore(gw.ctx.db).insert({
      clientId: "admin-app",
      name: "Team Notebook",
      redirectUris: [REDIRECT],
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: "none",
      scope: "mcp",
      source: "admin",
      status: "active",
      secretHash: null,
      createdAt: gw.clock.now(),
    });
    const admin = await gw.request(authorizeQuery({ ...base, client_id: "admin-app" }), {
      headers: { cookie: session.cookie },
    });
    const adminHtml = await admin.text();
    expect(adminHtml).toContain("<strong>Team Notebook</strong>");
    expect(adminHtml).toContain("registered by your administrator");
    expect(adminHtml).not.toContain("unverified");
  });
});
