// .ci/run ends with the line counts.sh prints from bun test's summary.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

async function counts(log: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "authmcp-counts-"));
  try {
    await Bun.write(join(dir, "log"), log);
    const proc = Bun.spawnSync(["bash", join(ROOT, ".ci/counts.sh"), join(dir, "log")]);
    expect(proc.exitCode).toBe(0);
    return proc.stdout.toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("counts come from bun test's summary lines", async () => {
  const log =
    "(pass) a > 3 pass\n(fail) b\n\n 182 pass\n 2 fail\n 940 expect() calls\nRan 184 tests across 14 files.\n";
  expect(await counts(log)).toBe("182 passed, 2 failed");
});

test("a log without a summary counts nothing", async () => {
  expect(await counts("error: could not start\n")).toBe("0 passed, 0 failed");
});

test(".ci/run ends by printing those counts", async () => {
  const script = await Bun.file(join(ROOT, ".ci/run")).text();
  expect(script).toStartWith("#!/usr/bin/env bash");
  expect(script).toContain("set -euo pipefail");
  expect(script).toContain("bun install --frozen-lockfile");
  expect(script).toContain("bun run test");
  expect(script).toContain(".ci/smoke.sh");
  expect(script.trim().split("\n").at(-1)).toBe('echo "$counts"');
});
