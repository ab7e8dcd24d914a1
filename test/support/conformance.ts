// Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`, `server --url`) and
// compares two runs. Shared by bench/conformance.ts and test/gateway/conformance.test.ts.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(
  import.meta.dir,
  "..",
  "..",
  "node_modules",
  "@modelcontextprotocol",
  "conformance",
  "dist",
  "index.js",
);

export interface ScenarioResult {
  passed: number;
  failed: number;
  warnings: number;
  /** "CheckName: message" of each failed check. */
  failures: string[];
}

export type SuiteRun = Map<string, ScenarioResult>;

/** A scenario passes when it has at least one successful check and none failed (warnings allowed). */
export function scenarioPassed(result: ScenarioResult | undefined): boolean {
  return result !== undefined && result.failed === 0 && result.passed > 0;
}

/**
 * Runs the suite's server scenarios against `url` in a child process (Bun runs the package's CLI;
 * Node 20 cannot). The order and counts come from its summary (`✓ name: N passed, M failed`), the
 * warnings and failure messages from the `checks.json` each scenario writes into the output directory.
 */
export async function runConformanceSuite(
  url: string,
  options: { suite?: "active" | "all" | "pending"; scenario?: string } = {},
): Promise<SuiteRun> {
  const outputDir = await mkdtemp(join(tmpdir(), "mcp-conformance-"));
  try {
    const args = [process.execPath, CLI, "server", "--url", url, "--suite", options.suite ?? "active"];
    if (options.scenario !== undefined) args.push("--scenario", options.scenario);
    args.push("--output-dir", outputDir);
    const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    const [out, err] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    await proc.exited;
    const results = parseSuiteSummary(out);
    if (results.size === 0) {
      throw new Error(
        `conformance suite printed no results (exit ${proc.exitCode}):\n${out}\n${err}`.slice(0, 4000),
      );
    }
    for (const entry of await readdir(outputDir)) {
      // One directory per scenario: `server-{scenario}-{ISO timestamp with : and . replaced by -}`.
      const name = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/u.exec(entry)?.[1];
      const result = name === undefined ? undefined : results.get(name);
      if (!result) continue;
      const checks = JSON.parse(await readFile(join(outputDir, entry, "checks.json"), "utf8")) as Check[];
      result.warnings = checks.filter((c) => c.status === "WARNING").length;
      result.failures = checks
        .filter((c) => c.status === "FAILURE")
        .map((c) => `${c.name}: ${c.errorMessage ?? c.description ?? ""}`);
    }
    return results;
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

interface Check {
  name: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  description?: string;
  errorMessage?: string;
}

export function parseSuiteSummary(out: string): SuiteRun {
  const results: SuiteRun = new Map();
  for (const match of out.matchAll(/^[✓✗] ([\w/-]+): (\d+) passed, (\d+) failed/gmu)) {
    results.set(match[1] as string, {
      passed: Number(match[2]),
      failed: Number(match[3]),
      warnings: 0,
      failures: [],
    });
  }
  return results;
}

export interface Comparison {
  /** Scenarios that pass directly, in suite order. */
  passedDirectly: string[];
  /** Scenarios that pass directly but not through the gateway. */
  regressions: string[];
  /** Scenarios that pass through the gateway but not directly (the gateway adds protection). */
  improvements: string[];
}

export function compareRuns(direct: SuiteRun, proxied: SuiteRun): Comparison {
  const passedDirectly: string[] = [];
  const regressions: string[] = [];
  const improvements: string[] = [];
  for (const [name, result] of direct) {
    const viaGateway = scenarioPassed(proxied.get(name));
    if (scenarioPassed(result)) {
      passedDirectly.push(name);
      if (!viaGateway) regressions.push(name);
    } else if (viaGateway) {
      improvements.push(name);
    }
  }
  return { passedDirectly, regressions, improvements };
}

/** The comparison as a plain-text table (the format of bench/README.md), failure messages included. */
export function formatComparison(direct: SuiteRun, proxied: SuiteRun): string {
  const cell = (r: ScenarioResult | undefined) =>
    r ? `${r.passed}/${r.passed + r.failed}${r.warnings > 0 ? ` (${r.warnings}w)` : ""}` : "missing";
  const lines = [`${"scenario".padEnd(36)} ${"direct".padEnd(10)} gateway`];
  for (const [name, d] of direct) {
    const g = proxied.get(name);
    const regression = scenarioPassed(d) && !scenarioPassed(g);
    lines.push(`${name.padEnd(36)} ${cell(d).padEnd(10)} ${cell(g)}${regression ? "  <-- REGRESSION" : ""}`);
    for (const message of regression ? (g?.failures ?? []) : []) lines.push(`    - ${message}`);
  }
  return lines.join("\n");
}
