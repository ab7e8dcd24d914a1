// The in-memory ring of recent log lines: fed by the logger with exactly what stdout gets (redacted),
// bounded by LOG_RING_LINES lines and LOG_RING_LINE_CHARS characters a line, filtered by level and
// text, and followed live by subscribers.

import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/logger.ts";
import { LogRing } from "../../src/logs/ring.ts";
import { type TestGateway, testGateway } from "../support/context.ts";

function ringLogger(options: { lines: number; lineChars: number }, level = "info") {
  const ring = new LogRing(options);
  const stdout: string[] = [];
  const logger = createLogger(level, { write: (line: string) => stdout.push(line) }, [ring]);
  return { ring, stdout, logger };
}

describe("the ring", () => {
  test("keeps the newest LOG_RING_LINES lines, newest first, in the order written", () => {
    const { ring, logger } = ringLogger({ lines: 5, lineChars: 1000 });
    for (let i = 1; i <= 12; i++) logger.info({ i }, `line ${i}`);
    expect(ring.size).toBe(5);
    expect(ring.capacity).toBe(5);
    expect(ring.recent({}, 100).map((l) => l.msg)).toEqual([
      "line 12",
      "line 11",
      "line 10",
      "line 9",
      "line 8",
    ]);
    expect(ring.recent({}, 2).map((l) => l.fields)).toEqual([{ i: 12 }, { i: 11 }]);
    // Sequence numbers keep counting past the ring's size.
    expect(ring.recent({}, 1)[0]?.seq).toBe(12);
  });

  test("a line over LOG_RING_LINE_CHARS is cut to about that size, keeping time, level and the message's start", () => {
    const { ring, stdout, logger } = ringLogger({ lines: 10, lineChars: 300 });
    const big = "x".repeat(50_000);
    logger.warn({ body: big, user: "alice" }, `long ${"m".repeat(1000)}`);
    // stdout has the whole line; the ring keeps a bounded one.
    expect(stdout[0]?.length).toBeGreaterThan(50_000);
    const [line] = ring.recent({}, 10);
    expect(line?.truncated).toBe(true);
    expect(line?.level).toBe("warn");
    expect(line?.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(line?.msg.startsWith("long mmm")).toBe(true);
    expect(JSON.stringify(line).length).toBeLessThan(600);
    // A short line is kept whole, next to it.
    logger.info({ user: "bob" }, "short");
    expect(ring.recent({}, 1)[0]).toMatchObject({ msg: "short", fields: { user: "bob" }, truncated: false });
  });

  test("filters by level (at or above) and by text in the message or the fields, case-insensitive", () => {
    const { ring, logger } = ringLogger({ lines: 100, lineChars: 1000 }, "debug");
    logger.debug({ path: "/a" }, "debug line");
    logger.info({ path: "/healthz" }, "request");
    logger.warn({ server: "Notes" }, "backend slow");
    logger.error({ err: "boom" }, "backend failed");
    logger.fatal("the end");
    const msgs = (filter: Parameters<LogRing["recent"]>[0]) => ring.recent(filter, 100).map((l) => l.msg);
    expect(msgs({ level: "warn" })).toEqual(["the end", "backend failed", "backend slow"]);
    expect(msgs({ level: "debug" })).toHaveLength(5);
    expect(msgs({ text: "BACKEND" })).toEqual(["backend failed", "backend slow"]);
    expect(msgs({ text: "healthz" })).toEqual(["request"]);
    expect(msgs({ text: "notes" })).toEqual(["backend slow"]);
    expect(msgs({ level: "error", text: "backend" })).toEqual(["backend failed"]);
    expect(msgs({ text: "nothing like it" })).toEqual([]);
    // The limit counts matching lines.
    expect(ring.recent({ level: "info" }, 2).map((l) => l.msg)).toEqual(["the end", "backend failed"]);
  });

  test("subscribers get each new line as it is written; unsubscribed, nothing more", () => {
    const { ring, logger } = ringLogger({ lines: 3, lineChars: 1000 });
    const seen: string[] = [];
    const unsubscribe = ring.subscribe((line) => seen.push(`${line.level}:${line.msg}`));
    logger.info("one");
    logger.error("two");
    unsubscribe();
    logger.info("three");
    expect(seen).toEqual(["info:one", "error:two"]);
  });

  test("a failing subscriber never reaches the code that logs", () => {
    const { ring, logger } = ringLogger({ lines: 3, lineChars: 1000 });
    ring.subscribe(() => {
      throw new Error("listener broke");
    });
    expect(() => logger.info("still fine")).not.toThrow();
    expect(ring.recent({}, 1)[0]?.msg).toBe("still fine");
  });
});

describe("the gateway's ring", () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  test("gets exactly the lines stdout gets, redacted, bounded by LOG_RING_LINES", async () => {
    gateway = await testGateway({ LOG_RING_LINES: "20", LOG_RING_LINE_CHARS: "2000" });
    const password = "Hunter2-Never-In-Logs";
    const token = "tok_SuperSecretBearerValue";
    gateway.ctx.logger.info(
      { password, token, headers: { authorization: `Bearer ${token}`, cookie: "sid=abc" }, user: "alice" },
      "signing in",
    );
    const [line] = gateway.ctx.logs.ring.recent({ text: "signing in" }, 1);
    expect(line?.fields).toMatchObject({
      password: "[redacted]",
      token: "[redacted]",
      headers: { authorization: "[redacted]", cookie: "[redacted]" },
      user: "alice",
    });
    expect(JSON.stringify(gateway.ctx.logs.ring.recent({}, 20))).not.toContain(password);
    expect(JSON.stringify(gateway.ctx.logs.ring.recent({}, 20))).not.toContain(token);

    for (let i = 0; i < 50; i++) gateway.ctx.logger.info({ i }, "filler");
    expect(gateway.ctx.logs.ring.size).toBe(20);
    expect(gateway.ctx.logs.ring.recent({}, 100)).toHaveLength(20);
    // What the ring holds is the tail of what stdout got, line for line.
    const tail = gateway.logs.slice(-20).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(
      gateway.ctx.logs.ring
        .recent({}, 20)
        .map((l) => l.msg)
        .reverse(),
    ).toEqual(tail);
  });

  test("LOG_RING_LINES and LOG_RING_LINE_CHARS are checked at start", async () => {
    await expect(testGateway({ LOG_RING_LINES: "0" })).rejects.toThrow("LOG_RING_LINES");
    await expect(testGateway({ LOG_RING_LINE_CHARS: "10" })).rejects.toThrow("LOG_RING_LINE_CHARS");
  });
});
