// Load benchmark of the per-server proxy. Every target runs in a process of its own on 127.0.0.1:
// a minimal backend, bare Bun proxies (fetch with no checks, bench/targets/bare-proxy.ts) and the
// built gateway executable, set up as a user sets it up. wrk loads each doing tools/call; prints
// requests/s, latency percentiles, CPU per request of the target's process, and the gateway/bare
// ratios. Not part of `bun test`. See bench/README.md.
// Usage: bun bench/proxy.ts [--duration 10] [--connections 32] [--threads 2] [--rounds 1] [--binary PATH]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildExecutable } from "../test/executable/helpers.ts";
import { spawnAnnounced, startBuiltGateway } from "./processes.ts";
import { RESPONSE } from "./targets/backend.ts";
import { load as loadWith, median, REQUEST, type Result } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "1" },
    binary: { type: "string" },
  },
});

const ROOT = resolve(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "authmcp-bench-"));
const binary = values.binary ?? (await buildExecutable());

const bun = process.execPath;
const backend = await spawnAnnounced([bun, "bench/targets/backend.ts"], ROOT);
const backendUrl = backend.url;
const bare = async (mode: string) =>
  spawnAnnounced([bun, "bench/targets/bare-proxy.ts", backendUrl, mode], ROOT);
const bareStreamed = await bare("streamed");
const bareRead = await bare("read");
const barePassthrough = await bare("passthrough");
const bareDeadlines = await bare("deadlines");
const gateway = await startBuiltGateway(binary, dir, backendUrl);

const loadOptions = {
  dir,
  threads: values.threads as string,
  connections: values.connections as string,
};
const load = (target: { url: string; pid: number }, headers: Record<string, string>, seconds: string) =>
  loadWith(target, headers, { ...loadOptions, seconds });

// Sanity: the gateway answers 200 with the backend's body.
const probe = await fetch(gateway.url, {
  method: "POST",
  headers: {
    authorization: `Bearer ${gateway.token}`,
    "content-type": "application/json",
    accept: "application/json",
  },
  body: REQUEST,
});
if (probe.status !== 200 || (await probe.text()) !== RESPONSE)
  throw new Error(`gateway probe failed: ${probe.status}`);

// Every target gets the same request, token included: the bare proxies pass it on to the backend as
// a proxy without checks would, the gateway checks it and sends the backend its own headers instead.
const auth = { Authorization: `Bearer ${gateway.token}` };
const targets = {
  backend: { label: "backend (direct)", ...backend },
  streamed: { label: "bare proxy, streamed body", ...bareStreamed },
  read: { label: "bare proxy, read body", ...bareRead },
  passthrough: { label: "bare proxy, passthrough", ...barePassthrough },
  deadlines: { label: "bare, + timeout and abort", ...bareDeadlines },
  gateway: { label: "gateway /mcp/{server}", ...gateway },
} satisfies Record<string, { label: string; url: string; pid: number }>;
type Target = keyof typeof targets;
// The bare proxies and the gateway sit next to each other in every round, so a drift of the
// machine's speed weighs on them alike; odd rounds run the order reversed.
const ORDER: Target[] = ["backend", "streamed", "read", "gateway", "passthrough", "deadlines"];

for (const target of ORDER) await load(targets[target], auth, "2"); // warm-up
const rounds: Record<Target, Result>[] = [];
const roundCount = Math.max(1, Number(values.rounds));
for (let round = 0; round < roundCount; round++) {
  const order = round % 2 === 1 ? [...ORDER].reverse() : ORDER;
  const row: Partial<Record<Target, Result>> = {};
  for (const target of order) row[target] = await load(targets[target], auth, values.duration as string);
  rounds.push(row as Record<Target, Result>);
}

const fixed = (x: number, digits: number) => x.toFixed(digits);

console.log(
  `wrk -t${values.threads} -c${values.connections} -d${values.duration}s, POST tools/call (JSON response)` +
    (roundCount > 1 ? `, median of ${roundCount} rounds` : ""),
);
console.log(
  "target".padEnd(26),
  "req/s".padStart(10),
  "p50 ms".padStart(9),
  "p90 ms".padStart(9),
  "p99 ms".padStart(9),
  "CPU µs/req".padStart(11),
  "  errors",
);
for (const target of Object.keys(targets) as Target[]) {
  const runs = rounds.map((row) => row[target]);
  console.log(
    targets[target].label.padEnd(26),
    fixed(median(runs.map((r) => r.rps)), 0).padStart(10),
    fixed(median(runs.map((r) => r.p50)), 2).padStart(9),
    fixed(median(runs.map((r) => r.p90)), 2).padStart(9),
    fixed(median(runs.map((r) => r.p99)), 2).padStart(9),
    fixed(median(runs.map((r) => r.cpu)), 1).padStart(11),
    `  ${[...new Set(runs.map((r) => r.errors))].join("; ")}`,
  );
}

// Ratios are taken within each round (the gateway against the reference measured next to it), then
// the median over rounds: steadier than a ratio of medians when the machine's speed drifts.
function ratios(of: Target, against: (row: Record<Target, Result>) => Result) {
  const throughput = median(rounds.map((row) => row[of].rps / against(row).rps));
  const p50 = median(rounds.map((row) => row[of].p50 / against(row).p50));
  const cpu = median(rounds.map((row) => row[of].cpu / against(row).cpu));
  return { throughput, p50, cpu };
}
// The reference is the faster of the two body-reading bare proxies in each round.
const reference = (row: Record<Target, Result>) =>
  row.read.rps >= row.passthrough.rps ? row.read : row.passthrough;
const budget = ratios("gateway", reference);
const perRound = rounds
  .map(
    (row) =>
      `${fixed(row.gateway.rps / reference(row).rps, 2)}/${fixed(row.gateway.p50 / reference(row).p50, 2)}`,
  )
  .join(" ");
console.log(
  `\ngateway / fastest body-reading bare proxy: throughput ${fixed(budget.throughput, 3)}x (budget >= 0.9), p50 ${fixed(budget.p50, 3)}x (budget <= 1.15); CPU per request ${fixed(budget.cpu, 3)}x`,
);
if (roundCount > 1) console.log(`per round (throughput/p50): ${perRound}`);
console.log(budget.throughput >= 0.9 && budget.p50 <= 1.15 ? "WITHIN BUDGET" : "OVER BUDGET");
for (const [label, of, against] of [
  ["gateway / bare (read body)", "gateway", "read"],
  ["gateway / bare (passthrough)", "gateway", "passthrough"],
  ["gateway / bare (streamed body)", "gateway", "streamed"],
  ["bare + timeout and abort / bare (passthrough)", "deadlines", "passthrough"],
  ["gateway / bare + timeout and abort", "gateway", "deadlines"],
] as const) {
  const r = ratios(of, (row) => row[against]);
  console.log(
    `${label}: throughput ${fixed(r.throughput, 3)}x, p50 ${fixed(r.p50, 3)}x, CPU per request ${fixed(r.cpu, 3)}x`,
  );
}

for (const target of [gateway, backend, bareStreamed, bareRead, barePassthrough, bareDeadlines])
  await target.stop();
rmSync(dir, { recursive: true, force: true });
if (values.binary === undefined) rmSync(dirname(binary), { recursive: true, force: true });
