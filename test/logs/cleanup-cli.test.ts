// Log retention through the CLI: `authmcp-gateway cleanup` deletes exactly the daily log files whose
// day ended more than LOG_RETENTION_DAYS ago (nothing else in LOG_DIR) and says how many; `start`
// writes its lines to the day's file in LOG_DIR and runs the same cleanup.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, runCommand, spawnGateway } from "../cli/start-helpers.ts";

const DAY = 86_400_000;

let dir = "";
let emptyEnvFile = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-log-cleanup-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `authmcp-gateway-YYYY-MM-DD.log` of the UTC day `daysAgo` days before today. */
const fileOf = (daysAgo: number) =>
  `authmcp-gateway-${new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 10)}.log`;

/** A LOG_DIR with daily files `ages` days old and names retention must never touch. */
function seededLogDir(name: string, ages: number[]) {
  const logDir = join(dir, name);
  mkdirSync(logDir, { recursive: true });
  for (const age of ages) writeFileSync(join(logDir, fileOf(age)), `{"msg":"day -${age}"}\n`);
  const old = fileOf(400).replace(".log", "");
  const strangers = [
    "authmcp-gateway-2025-02-31.log", // no such day
    `${old}.log.gz`,
    `${old}.log.1`,
    `x${old}.log`,
    `${old.toUpperCase()}.log`,
    "other.log",
    "notes.txt",
  ];
  for (const stranger of strangers) writeFileSync(join(logDir, stranger), "keep me\n");
  mkdirSync(join(logDir, fileOf(300))); // a directory with one of our names: not a file of ours
  return { logDir, strangers };
}

describe("authmcp-gateway cleanup", () => {
  test("deletes exactly the log files whose day ended more than LOG_RETENTION_DAYS ago, and says so", async () => {
    const { logDir, strangers } = seededLogDir("cli", [40, 15, 14, 13, 1, 0]);
    const env = { AUTH_SQLITE_PATH: join(dir, "cli.db"), LOG_DIR: logDir, LOG_RETENTION_DAYS: "14" };
    const result = await runCommand(["cleanup"], env, emptyEnvFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`deleted 2 log files from ${logDir} whose day ended before`);
    expect(result.stdout).toContain("(LOG_RETENTION_DAYS=14)");
    // The day 14 days ago may hold lines younger than 14 days: kept, and everything newer.
    expect(readdirSync(logDir).sort()).toEqual(
      [fileOf(14), fileOf(13), fileOf(1), fileOf(0), fileOf(300), ...strangers].sort(),
    );
    for (const stranger of strangers) expect(readFileSync(join(logDir, stranger), "utf8")).toBe("keep me\n");

    const again = await runCommand(["cleanup"], { ...env, LOG_RETENTION_DAYS: "1" }, emptyEnvFile);
    expect(again.stdout).toContain("deleted 2 log files");
    expect(again.stdout).toContain("(LOG_RETENTION_DAYS=1)");
    expect(readdirSync(logDir).sort()).toEqual([fileOf(1), fileOf(0), fileOf(300), ...strangers].sort());
  });

  test("without LOG_DIR it says there are no log files, and a missing LOG_DIR is no error", async () => {
    const env = { AUTH_SQLITE_PATH: join(dir, "none.db") };
    const off = await runCommand(["cleanup"], env, emptyEnvFile);
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("no log files to delete: LOG_DIR is not set");
    const missing = await runCommand(["cleanup"], { ...env, LOG_DIR: join(dir, "not-yet") }, emptyEnvFile);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain("deleted 0 log files");
  });

  test("refuses LOG_RETENTION_DAYS out of range", async () => {
    const result = await runCommand(["cleanup"], { LOG_RETENTION_DAYS: "0" }, emptyEnvFile);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("LOG_RETENTION_DAYS");
  });
});

describe("under start", () => {
  test("start writes its lines to the day's file (0600, directory 0700) and deletes old files", async () => {
    const dataDir = join(dir, "start");
    mkdirSync(dataDir);
    const { logDir } = seededLogDir("start-logs", [30, 3]);
    rmSync(join(logDir, fileOf(300)), { recursive: true });
    const gateway = await spawnGateway(dataDir, emptyEnvFile, {
      LOG_DIR: logDir,
      LOG_RETENTION_DAYS: "7",
    });
    let stopped = false;
    const today = join(logDir, fileOf(0));
    try {
      await gateway.logLine((l) => l.msg.startsWith("listening on"));
      await eventually("the old file is deleted at start", async () =>
        readdirSync(logDir).includes(fileOf(30)) ? undefined : true,
      );
      expect(readdirSync(logDir)).toContain(fileOf(3));
      expect(statSync(today).mode & 0o777).toBe(0o600);
      expect((await fetch(`${gateway.base}/healthz`)).status).toBe(200);
      expect(await gateway.stop()).toBe(0);
      stopped = true;
      // The file holds what stdout got, the request and the shutdown included.
      const fileLines = readFileSync(today, "utf8").split("\n").filter(Boolean);
      const msgs = fileLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(msgs.some((m) => m.startsWith("listening on"))).toBe(true);
      expect(msgs).toContain("stopping");
      expect(fileLines.some((l) => l.includes('"path":"/healthz"'))).toBe(true);
      expect(fileLines).toEqual(gateway.lines().map((l) => JSON.stringify(l)));
    } finally {
      if (!stopped) await gateway.stop();
    }
  });

  test("start creates LOG_DIR with mode 0700", async () => {
    const dataDir = join(dir, "start-new");
    mkdirSync(dataDir);
    const logDir = join(dir, "fresh", "logs");
    const gateway = await spawnGateway(dataDir, emptyEnvFile, { LOG_DIR: logDir });
    try {
      await gateway.logLine((l) => l.msg.startsWith("listening on"));
      expect(statSync(logDir).mode & 0o777).toBe(0o700);
      expect(readdirSync(logDir)).toEqual([fileOf(0)]);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
