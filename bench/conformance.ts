// Runs the official MCP conformance suite (server scenarios) against our conformance backend
// (test/support/conformance-backend.ts) directly and through the gateway's /mcp/{server}
// (auth_required: false), and compares: every scenario that passes directly must pass through the
// gateway. Exit code 1 otherwise.
// Usage: bun bench/conformance.ts

import { compareRuns, formatComparison, runConformanceSuite } from "../test/support/conformance.ts";
import { startConformanceBackend } from "../test/support/conformance-backend.ts";
import { listeningGateway } from "../test/support/server.ts";

const backend = await startConformanceBackend();
const gateway = await listeningGateway({ LOG_LEVEL: "error" });
try {
  const created = await gateway.app.decorator.gateway.registry.create({
    name: "conformance",
    url: backend.url,
    authRequired: false,
  });
  if (!created.ok) throw new Error(created.message);
  const direct = await runConformanceSuite(backend.url);
  const proxied = await runConformanceSuite(`${gateway.url}/mcp/conformance`);
  const { passedDirectly, regressions, improvements } = compareRuns(direct, proxied);
  console.log(formatComparison(direct, proxied));
  console.log(
    `\n${passedDirectly.length} of ${direct.size} scenarios pass directly; ${regressions.length} of them fail through the gateway.`,
  );
  if (improvements.length > 0) console.log(`Pass only through the gateway: ${improvements.join(", ")}`);
  process.exitCode = passedDirectly.length === 0 || regressions.length > 0 ? 1 : 0;
} finally {
  await gateway.close();
  await backend.close();
}
