// Redaction hides secrets, never the code of an error a person must act on (EADDRINUSE, …).

import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { randomToken } from "../../src/crypto/random.ts";
import { createLogger } from "../../src/logger.ts";

function logged(write: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger("info", sink);
  write(logger);
  logger.flush();
  return JSON.parse(lines.join("").trim()) as Record<string, unknown>;
}

test("the code of a logged error stays readable", () => {
  const posix = Object.assign(new Error("Failed to start server"), { code: "EADDRINUSE" });
  expect(logged((l) => l.error({ err: posix }, "x")).err).toMatchObject({ code: "EADDRINUSE" });
  const node = Object.assign(new Error("bad url"), { code: "ERR_INVALID_URL" });
  expect(logged((l) => l.error({ err: node }, "x")).err).toMatchObject({ code: "ERR_INVALID_URL" });
  const bun = Object.assign(new Error("refused"), { code: "ConnectionRefused" });
  expect(logged((l) => l.error({ err: bun }, "x")).err).toMatchObject({ code: "ConnectionRefused" });
});

test("authorization codes stay redacted, at the top and nested", () => {
  const code = randomToken(32); // what the gateway issues
  const line = logged((l) => l.info({ code, body: { code }, err: { code } }, "x"));
  expect(JSON.stringify(line)).not.toContain(code);
  expect(line.code).toBe("[redacted]");
  expect(line.body).toEqual({ code: "[redacted]" });
  expect(line.err).toEqual({ code: "[redacted]" });
  // The other secrets are untouched by the change.
  const other = logged((l) => l.info({ password: "EADDRINUSE", token: "ECONNREFUSED" }, "x"));
  expect(other).toMatchObject({ password: "[redacted]", token: "[redacted]" });
});
