import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "../../src/logger.ts";
import { createUser, jsonInit, login, STRONG_PASSWORD, testGateway } from "../support/context.ts";

test("one JSON line per request with method, path, status and duration; no query string", async () => {
  const gateway = await testGateway();
  await gateway.request("/healthz?token=abc");
  await Bun.sleep(10);
  const line = gateway.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request");
  expect(line).toMatchObject({ level: "info", method: "GET", path: "/healthz", status: 200 });
  expect(typeof line.duration_ms).toBe("number");
  expect(gateway.logs.join("\n")).not.toContain("abc");
  await gateway.close();
});

test("a response made by the error handler (unknown path, unknown method) is logged with its own status", async () => {
  const gateway = await testGateway();
  expect((await gateway.request("/no/such/endpoint")).status).toBe(404);
  expect((await gateway.request("/auth/me", { method: "PUT" })).status).toBe(404);
  await Bun.sleep(10);
  const lines = gateway.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  expect(lines.map((l) => [l.path, l.status])).toEqual([
    ["/no/such/endpoint", 404],
    ["/auth/me", 404],
  ]);
  await gateway.close();
});

test("passwords, tokens, cookies, Authorization headers and secrets never reach the logs", async () => {
  const gateway = await testGateway({ LOG_LEVEL: "trace", ALLOW_REGISTRATION: "true" });
  await createUser(gateway, "alice");
  const tokens = await login(gateway, "alice");
  await gateway.request("/auth/login", jsonInit({ username: "alice", password: "Wrong-Secret-Pass-1" }));
  await gateway.request(
    "/auth/register",
    jsonInit({ username: "bob", email: "bob@example.test", password: "Bobs-Secret-Pass-1" }),
  );
  await gateway.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }));
  await gateway.request("/auth/me", {
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      cookie: "authmcp_session=cookie-secret-value",
    },
  });
  // A rotated token replayed is logged as a security event; the token itself must not be.
  await gateway.request("/auth/refresh", jsonInit({ refresh_token: tokens.refresh_token }));
  await Bun.sleep(10);
  const text = gateway.logs.join("\n");
  expect(gateway.logs.length).toBeGreaterThan(5);
  expect(text).toContain("refresh token reused");
  for (const secret of [
    STRONG_PASSWORD,
    "Wrong-Secret-Pass-1",
    "Bobs-Secret-Pass-1",
    tokens.access_token,
    tokens.access_token.split(".")[2] as string,
    tokens.refresh_token,
    "cookie-secret-value",
  ]) {
    expect(text).not.toContain(secret);
  }
  await gateway.close();
});

test("the logger redacts secret fields wherever code logs them", () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger("info", sink);
  logger.info(
    {
      password: "p1",
      access_token: "t1",
      refresh_token: "t2",
      client_secret: "s1",
      code: "c1",
      headers: { authorization: "Bearer t3", cookie: "c=t4" },
      upstream: { authorization: "Bearer t5", secret: "s2", token: "t6" },
    },
    "hello",
  );
  logger.flush();
  const text = lines.join("");
  for (const secret of ["p1", "t1", "t2", "s1", '"c1"', "t3", "t4", "t5", "s2", "t6"])
    expect(text).not.toContain(secret);
  expect(text).toContain("[redacted]");
});

test("an unexpected failure is a 500 with a JSON body and a logged error, never a stack trace to the client", async () => {
  const gateway = await testGateway();
  gateway.ctx.db.$client.close();
  const response = await gateway.request("/auth/login", jsonInit({ username: "x", password: "y" }));
  expect(response.status).toBe(500);
  const body = await response.text();
  expect(JSON.parse(body)).toEqual({
    error: "server_error",
    error_description: "the gateway failed to handle this request",
  });
  expect(body).not.toContain("at ");
  await Bun.sleep(10);
  expect(gateway.logs.some((l) => l.includes("unhandled error"))).toBe(true);
  await gateway.close();
});
