// Runs the official MCP conformance suite (server scenarios) against our SDK test backend directly
// and through the gateway's /mcp/{server} (auth_required: false), and compares: every scenario that
// passes directly must pass through the gateway. Exit code 1 otherwise.
// Usage: bun bench/conformance.ts
import { join } from "node:path";
import { startMcpBackend } from "../test/support/mcp-backend.ts";
import { listeningGateway } from "../test/support/server.ts";

const CLI = join(
  import.meta.dir,
  "..",
  "node_modules",
  "@modelcontextprotocol",
  "conformance",
  "dist",
  "index.js",
);

async function runSuite(url: string): Promise<Map<string, { passed: number; failed: number }>> {
  const proc = Bun.spawn([process.execPath, CLI, "server", "--url", url], { stdout: "pipe", stderr: "pipe" });
  const [out] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const results = new Map<string, { passed: number; failed: number }>();
  for (const match of out.matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed/gmu)) {
    results.set(match[1] as string, { passed: Number(match[2]), failed: Number(match[3]) });
  }
  return results;
}

const backend = await startMcpBackend();
const gateway = await listeningGateway({ LOG_LEVEL: "error" });
try {
  const created = await gateway.app.decorator.gateway.registry.create({
    name: "conformance",
    url: backend.url,
    authRequired: false,
  });
  if (!created.ok) throw new Error(created.message);
  const direct = await runSuite(backend.url);
  const proxied = await runSuite(`${gateway.url}/mcp/conformance`);
  let regressions = 0;
  console.log("scenario".padEnd(36), "direct".padEnd(10), "gateway");
  for (const [name, d] of direct) {
    const g = proxied.get(name);
    const directOk = d.failed === 0;
    const gatewayOk = g !== undefined && g.failed === 0;
    if (directOk && !gatewayOk) regressions++;
    console.log(
      name.padEnd(36),
      `${d.passed}/${d.passed + d.failed}`.padEnd(10),
      g ? `${g.passed}/${g.passed + g.failed}` : "missing",
      directOk && !gatewayOk ? "  <-- REGRESSION" : "",
    );
  }
  const passedDirect = [...direct.values()].filter((r) => r.failed === 0).length;
  console.log(`\n${passedDirect} scenarios pass directly; ${regressions} of them fail through the gateway.`);
  process.exitCode = direct.size === 0 || regressions > 0 ? 1 : 0;
} finally {
  await gateway.close();
  await backend.close();
}
