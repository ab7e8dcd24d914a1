import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SecurityEvent } from "../../src/audit/security-events/types.ts";
import { FakeClock } from "../support/clock.ts";
import { type TestGateway, tempDir, testGateway } from "../support/context.ts";
import { type GitHubPerson, type GitHubStandIn, startGitHubStandIn } from "../support/github-standin.ts";

const CLIENT = { clientId: "Iv1.gatewayclient", clientSecret: "github-client-secret-0123456789" };

const OCTO: GitHubPerson = {
  id: 583231,
  login: "octocat",
  name: "The Octocat",
  emails: [
    { email: "octocat@github.example", primary: true, verified: true, visibility: "private" },
    { email: "other@elsewhere.example", primary: false, verified: true, visibility: null },
  ],
  orgs: ["acme"],
  teams: [["acme", "platform"]],
};

let github: GitHubStandIn;
beforeAll(() => {
  github = startGitHubStandIn(CLIENT);
});
afterAll(() => github.close());

const open: TestGateway[] = [];
afterEach(async () => {
  for (const gw of open.splice(0)) await gw.close();
});

async function gatewayWith(extra: string[] = []) {
  const dir = tempDir();
  writeFileSync(
    join(dir, "gw.yaml"),
    [
      "oauth_providers:",
      "  github:",
      "    type: github",
      `    base_url: ${github.base}`,
      `    api_url: ${github.base}`,
      `    client_id: ${CLIENT.clientId}`,
      `    client_secret: ${CLIENT.clientSecret}`,
      "    jit_provisioning: true",
      ...extra.map((line) => `    ${line}`),
    ].join("\n"),
  );
  const gw = await testGateway({}, { dir, configFile: "gw.yaml", clock: new FakeClock(Date.now()) });
  open.push(gw);
  const events: SecurityEvent[] = [];
  gw.ctx.securityEvents.subscribe((e) => events.push(e));
  return { gw, events };
}

async function signIn(gw: TestGateway, person: GitHubPerson, tamper?: (url: URL) => void) {
  const started = await gw.request("/login/upstream/github?return_to=%2Fadmin%2F");
  expect(started.status).toBe(303);
  const location = started.headers.get("location") as string;
  const cookie = started.headers.getSetCookie()[0]?.split(";")[0] as string;
  const back = github.authorize(location, person);
  tamper?.(back);
  return {
    started: new URL(location),
    done: await gw.request(`${back.pathname}${back.search}`, { headers: { cookie } }),
  };
}

const reasons = (events: SecurityEvent[]) =>
  events.filter((e) => e.type === "upstream_login_failure").map((e) => e.details.reason);

describe("GitHub (OAuth 2.0 + REST API) against a stand-in of its endpoints", () => {
  test("sign-in: state + PKCE to GitHub; id as subject, login as username, the verified primary email; the button says GitHub", async () => {
    const { gw, events } = await gatewayWith();
    expect(await (await gw.request("/login")).text()).toContain("Sign in with <span>GitHub</span>");
    const { started, done } = await signIn(gw, OCTO);
    expect(started.pathname).toBe("/login/oauth/authorize");
    expect(started.searchParams.get("scope")).toBe("read:user user:email");
    expect(started.searchParams.get("code_challenge_method")).toBe("S256");
    expect(started.searchParams.get("state")?.length).toBeGreaterThan(20);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/admin/");
    const user = gw.ctx.users.byUsername("octocat");
    expect(user?.email).toBe("octocat@github.example");
    expect(gw.ctx.users.principal(user?.id as string)?.upstream).toEqual({
      provider: "github",
      subject: "583231",
      email: "octocat@github.example",
      groups: [],
      linkedProviders: ["github"],
    });
    // No organisation restriction or mapping: the organisations are not even asked for.
    expect(github.apiCalls).not.toContain("/user/orgs");
    expect(reasons(events)).toEqual([]);
  });

  test("an unverified primary email is refused (a verified secondary one does not count)", async () => {
    const { gw, events } = await gatewayWith();
    const unverified: GitHubPerson = {
      ...OCTO,
      id: 9,
      login: "newbie",
      emails: [
        { email: "newbie@github.example", primary: true, verified: false, visibility: "public" },
        { email: "newbie@verified.example", primary: false, verified: true, visibility: null },
      ],
    };
    const { done } = await signIn(gw, unverified);
    expect(done.status).toBe(403);
    expect(await done.text()).toContain("verified email");
    expect(gw.ctx.users.list()).toHaveLength(0);
    expect(reasons(events)).toEqual(["email_not_verified"]);
  });

  test("allowed_organizations: a member gets in (read:org asked for), a non-member is refused", async () => {
    const { gw, events } = await gatewayWith(["allowed_organizations: [acme]"]);
    const { started, done } = await signIn(gw, OCTO);
    expect(started.searchParams.get("scope")).toBe("read:user user:email read:org");
    expect(done.status).toBe(303);
    const outsider = {
      ...OCTO,
      id: 77,
      login: "outsider",
      orgs: ["other-org"],
      teams: [],
      emails: [{ email: "o@x.example", primary: true, verified: true, visibility: null }],
    } satisfies GitHubPerson;
    expect((await signIn(gw, outsider)).done.status).toBe(403);
    expect(reasons(events)).toEqual(["organization_not_allowed"]);
  });

  test("teams (org/team) and organisations are the groups: mapped to gateway groups", async () => {
    const { gw } = await gatewayWith(['group_mapping: { "acme/platform": platform }']);
    const { gateway } = gw.app.decorator;
    const group = gateway.groups.create({ name: "platform" });
    if (!group.ok) throw new Error(group.message);
    expect((await signIn(gw, OCTO)).done.status).toBe(303);
    const user = gw.ctx.users.byUsername("octocat");
    expect(gw.ctx.users.principal(user?.id as string)?.upstream?.groups).toEqual(["acme", "acme/platform"]);
    expect(gateway.policy.isMember(group.group.id, user?.id as string)).toBe(true);
  });

  test("a code GitHub refuses (200 with an error body) is a clear failure, not a 500", async () => {
    const { gw, events } = await gatewayWith();
    const { done } = await signIn(gw, OCTO, (url) => url.searchParams.set("code", "not-a-code"));
    expect(done.status).toBe(502);
    expect(await done.text()).toContain("GitHub refused the code");
    expect(reasons(events)).toEqual(["token_error"]);
  });

  test("access_denied (the person cancelled at GitHub)", async () => {
    const { gw, events } = await gatewayWith();
    const { done } = await signIn(gw, OCTO, (url) => {
      url.searchParams.delete("code");
      url.searchParams.set("error", "access_denied");
    });
    expect(done.status).toBe(403);
    expect(reasons(events)).toEqual(["access_denied"]);
  });
});
