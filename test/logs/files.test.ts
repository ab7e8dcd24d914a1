// LOG_DIR: the same JSON lines as stdout, appended to one file per UTC day (by the gateway's clock),
// the directory made 0700 and the files 0600; a file that cannot be written never breaks logging.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logFileDay, logFileName } from "../../src/logs/daily-files.ts";
import { FakeClock } from "../support/clock.ts";
import { type TestGateway, tempDir, testGateway } from "../support/context.ts";

const mode = (path: string) => statSync(path).mode & 0o777;
const linesOf = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; level: string; [key: string]: unknown });

let gateway: TestGateway | undefined;
const made: string[] = [];
/** A fresh temporary directory, removed after the test. */
const scratch = () => {
  const dir = tempDir("authmcp-logdir-");
  made.push(dir);
  return dir;
};
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("daily log files", () => {
  test("lines go to the file of the clock's UTC day, a new file from midnight; 0700 directory, 0600 files", async () => {
    const logDir = join(scratch(), "nested", "logs");
    // 23:59:59.900 on 22 November 2026, UTC.
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 23, 59, 59, 900));
    gateway = await testGateway({ LOG_DIR: logDir }, { clock });
    const { logger } = gateway.ctx;
    logger.info({ password: "Never-In-The-File-1" }, "late on the 22nd");
    clock.advance(100); // midnight
    logger.warn({ user: "alice" }, "first of the 23rd");
    clock.advance(86_400_000 - 1);
    logger.info("last of the 23rd");
    clock.advance(1);
    logger.error("first of the 24th");

    expect(readdirSync(logDir).sort()).toEqual([
      "authmcp-gateway-2026-11-22.log",
      "authmcp-gateway-2026-11-23.log",
      "authmcp-gateway-2026-11-24.log",
    ]);
    expect(mode(logDir)).toBe(0o700);
    for (const name of readdirSync(logDir)) expect(mode(join(logDir, name))).toBe(0o600);

    const day22 = linesOf(join(logDir, "authmcp-gateway-2026-11-22.log"));
    expect(day22.at(-1)).toMatchObject({ msg: "late on the 22nd", password: "[redacted]" });
    expect(linesOf(join(logDir, "authmcp-gateway-2026-11-23.log")).map((l) => l.msg)).toEqual([
      "first of the 23rd",
      "last of the 23rd",
    ]);
    expect(linesOf(join(logDir, "authmcp-gateway-2026-11-24.log"))).toMatchObject([
      { msg: "first of the 24th", level: "error" },
    ]);
    expect(readFileSync(join(logDir, "authmcp-gateway-2026-11-22.log"), "utf8")).not.toContain(
      "Never-In-The-File-1",
    );
    // Exactly what stdout got, line for line.
    const fileLines = ["22", "23", "24"].flatMap((d) =>
      readFileSync(join(logDir, `authmcp-gateway-2026-11-${d}.log`), "utf8")
        .split("\n")
        .filter(Boolean),
    );
    expect(fileLines).toEqual(gateway.logs);
  });

  test("appends to the day's file across restarts", async () => {
    const logDir = scratch();
    const clock = new FakeClock(Date.UTC(2026, 10, 22, 8));
    gateway = await testGateway({ LOG_DIR: logDir }, { clock });
    gateway.ctx.logger.info("first run");
    await gateway.close();
    gateway = await testGateway({ LOG_DIR: logDir }, { clock });
    gateway.ctx.logger.info("second run");
    const msgs = linesOf(join(logDir, "authmcp-gateway-2026-11-22.log")).map((l) => l.msg);
    expect(msgs.indexOf("first run")).toBeGreaterThanOrEqual(0);
    expect(msgs.indexOf("second run")).toBeGreaterThan(msgs.indexOf("first run"));
  });

  test("a LOG_DIR that cannot be written: one warning on stdout, logging goes on, nothing thrown", async () => {
    const base = scratch();
    const notADirectory = join(base, "a-file");
    writeFileSync(notADirectory, "");
    gateway = await testGateway({ LOG_DIR: notADirectory });
    const { logger } = gateway.ctx;
    expect(() => logger.info("one")).not.toThrow();
    logger.info("two");
    await Bun.sleep(0); // the warning is written after the line that found the problem
    const parsed = gateway.logs.map((l) => JSON.parse(l) as { msg: string; path?: string });
    const warnings = parsed.filter((l) => l.msg.startsWith("cannot write the log file"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.path).toBe(join(notADirectory, logFileName(gateway.clock.now())));
    expect(parsed.map((l) => l.msg)).toContain("two");
    expect(gateway.ctx.logs.ring.recent({ text: "two" }, 1)).toHaveLength(1);
    expect(existsSync(join(notADirectory, "x"))).toBe(false);
  });

  test("without LOG_DIR nothing is written to disk but stdout", async () => {
    gateway = await testGateway();
    gateway.ctx.logger.info("stdout only");
    expect(gateway.ctx.logs.files).toBeUndefined();
    expect(readdirSync(gateway.dir).some((n) => n.startsWith("authmcp-gateway-"))).toBe(false);
  });
});

describe("log file names", () => {
  test("only authmcp-gateway-YYYY-MM-DD.log with a real date is one of ours", () => {
    expect(logFileDay("authmcp-gateway-2026-11-22.log")).toBe(Date.UTC(2026, 10, 22));
    for (const name of [
      "authmcp-gateway-2026-02-31.log",
      "authmcp-gateway-2026-11-22.log.gz",
      "authmcp-gateway-2026-11-22.log.1",
      "xauthmcp-gateway-2026-11-22.log",
      "AUTHMCP-GATEWAY-2026-11-22.log",
      "authmcp-gateway-2026-1-22.log",
      "authmcp-gateway-2026-11-22",
      "other.log",
    ]) {
      expect(logFileDay(name)).toBeUndefined();
    }
    expect(logFileName(Date.UTC(2026, 0, 5, 23, 59))).toBe("authmcp-gateway-2026-01-05.log");
  });
});
