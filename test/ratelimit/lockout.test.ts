import { afterEach, describe, expect, test } from "bun:test";
import { formToken, Jar, postForm } from "../admin/web.ts";
import { createUser, jsonInit, STRONG_PASSWORD, type TestGateway, testGateway } from "../support/context.ts";

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const LOCKOUT = {
  LOGIN_LOCKOUT_THRESHOLD: "3",
  LOGIN_LOCKOUT_SECONDS: "60",
  LOGIN_LOCKOUT_MAX_SECONDS: "100",
};

async function start(env: Record<string, string> = LOCKOUT) {
  gateway = await testGateway(env);
  await createUser(gateway, "alice");
  return gateway;
}

/** Status, Retry-After and body of a JSON sign-in. */
async function signIn(g: TestGateway, username: string, password: string) {
  const response = await g.request("/auth/login", jsonInit({ username, password }));
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
}

describe("failed sign-ins lock the account (POST /auth/login)", () => {
  test("LOGIN_LOCKOUT_THRESHOLD failures lock it for LOGIN_LOCKOUT_SECONDS, even for the right password; then it opens", async () => {
    const g = await start();
    expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    expect((await signIn(g, "alice", "Wrong-Horse-2")).status).toBe(401);
    const locking = await signIn(g, "alice", "Wrong-Horse-3");
    expect(locking.status).toBe(429);
    expect(locking.retryAfter).toBe("60");
    expect(locking.body.error).toBe("account_locked");
    const right = await signIn(g, "alice", STRONG_PASSWORD);
    expect(right.status).toBe(429);
    expect(right.body.access_token).toBeUndefined();
    // By email too: the lock is the account's, not the name's.
    expect((await signIn(g, "alice@example.test", STRONG_PASSWORD)).status).toBe(429);
    // Another account is not affected.
    await createUser(g, "bob");
    expect((await signIn(g, "bob", STRONG_PASSWORD)).status).toBe(200);
    g.clock.advance(59_000);
    expect((await signIn(g, "alice", STRONG_PASSWORD)).retryAfter).toBe("1");
    g.clock.advance(1_000);
    expect((await signIn(g, "alice", STRONG_PASSWORD)).status).toBe(200);
  });

  test("the answers for an unknown account are the same, lock included", async () => {
    const g = await start();
    const sequence = async (username: string) => {
      const answers = [];
      for (const password of ["Wrong-1-a", "Wrong-2-b", "Wrong-3-c", STRONG_PASSWORD]) {
        answers.push(await signIn(g, username, password));
      }
      return answers;
    };
    const known = await sequence("alice");
    const unknown = await sequence("ghost");
    expect(unknown).toEqual(known);
    expect(known.map((a) => a.status)).toEqual([401, 401, 429, 429]);
  });

  test("repeated lockouts back off (doubling) up to LOGIN_LOCKOUT_MAX_SECONDS; a success clears the count", async () => {
    const g = await start();
    for (let i = 0; i < 3; i++) await signIn(g, "alice", "Wrong-Horse-1");
    g.clock.advance(60_000);
    expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    // Second lock: 2 × 60 s, capped at 100 s.
    expect((await signIn(g, "alice", "Wrong-Horse-1")).retryAfter).toBe("100");
    g.clock.advance(100_000);
    expect((await signIn(g, "alice", STRONG_PASSWORD)).status).toBe(200);
    // Cleared: the next failures start from nothing (two are not a lock).
    expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    expect((await signIn(g, "alice", STRONG_PASSWORD)).status).toBe(200);
  });

  test("failures are forgotten after LOGIN_LOCKOUT_MAX_SECONDS without another", async () => {
    const g = await start();
    await signIn(g, "alice", "Wrong-Horse-1");
    await signIn(g, "alice", "Wrong-Horse-2");
    g.clock.advance(100_000);
    expect((await signIn(g, "alice", "Wrong-Horse-3")).status).toBe(401);
    expect((await signIn(g, "alice", "Wrong-Horse-4")).status).toBe(401);
    expect((await signIn(g, "alice", "Wrong-Horse-5")).status).toBe(429);
  });

  test("LOGIN_LOCKOUT_THRESHOLD=0 never locks", async () => {
    const g = await start({ LOGIN_LOCKOUT_THRESHOLD: "0" });
    for (let i = 0; i < 8; i++) expect((await signIn(g, "alice", "Wrong-Horse-1")).status).toBe(401);
    expect((await signIn(g, "alice", STRONG_PASSWORD)).status).toBe(200);
  });
});

describe("the browser sign-in form shares the lock (POST /login)", () => {
  test("locked: the form again with the message and Retry-After, the same for an unknown name", async () => {
    const g = await start();
    const jar = new Jar();
    const token = await formToken(g, jar, "/login");
    const attempt = (username: string, password: string) =>
      postForm(g, jar, "/login", { _csrf: token, username, password });
    // Two failures on the JSON endpoint, the third through the form: one count.
    await signIn(g, "alice", "Wrong-Horse-1");
    await signIn(g, "alice", "Wrong-Horse-2");
    const locked = await attempt("alice", "Wrong-Horse-3");
    expect(locked.response.status).toBe(429);
    expect(locked.response.headers.get("retry-after")).toBe("60");
    expect(locked.html).toContain("Too many failed sign-ins for this account. Try again in 60 seconds.");
    expect((await attempt("alice", STRONG_PASSWORD)).response.status).toBe(429);
    expect(jar.cookies.has("authmcp_session")).toBe(false);
    for (const password of ["Wrong-1-a", "Wrong-2-b"]) {
      expect((await attempt("ghost", password)).response.status).toBe(401);
    }
    const ghost = await attempt("ghost", "Wrong-3-c");
    expect(ghost.response.status).toBe(429);
    expect(ghost.html).toContain("Too many failed sign-ins for this account. Try again in 60 seconds.");
  });
});
