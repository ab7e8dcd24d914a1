// Two or more builds of the gateway under the same load, in pairs: for measuring a change to the
// proxy (the old executable against the new one). Each gateway is set up as bench/proxy.ts sets up
// its own, against one shared backend; every round loads each once (order reversed on odd rounds)
// and the ratios to the first binary are taken within the round, median over rounds. See
// bench/README.md. Not part of `bun test`.
// Usage: bun bench/compare.ts --binary OLD --binary NEW [--duration 4] [--rounds 8] [--connections 32] [--threads 2] [--pin]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type GatewayUnderTest, pinToCpu, spawnAnnounced, startBuiltGateway } from "./processes.ts";
import { load, median, type Result } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    binary: { type: "string", multiple: true, default: [] },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "8" },
    // Gateways on the second CPU, the backend and wrk on the first (taskset, all threads).
    pin: { type: "boolean", default: false },
  },
});
const binaries = values.binary as string[];
if (binaries.length < 2) {
  console.error("usage: bun bench/compare.ts --binary OLD --binary NEW [--binary …] [--rounds 8]");
  process.exit(2);
}

const ROOT = resolve(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "authmcp-compare-"));
const backend = await spawnAnnounced([process.execPath, "bench/targets/backend.ts"], ROOT);
const gateways: GatewayUnderTest[] = [];
for (const binary of binaries) {
  gateways.push(await startBuiltGateway(binary, mkdtempSync(join(dir, "gateway-")), backend.url));
}
const pin = (cpu: number, pid: number) => {
  if (values.pin) pinToCpu(cpu, pid);
};
pin(0, backend.pid);
for (const gateway of gateways) pin(1, gateway.pid);
const options = {
  dir,
  threads: values.threads as string,
  connections: values.connections as string,
  prefix: values.pin ? ["taskset", "-c", "0"] : [],
};
const auth = (i: number) => ({ Authorization: `Bearer ${gateways[i]?.token}` });

for (const [i, gateway] of gateways.entries()) await load(gateway, auth(i), { ...options, seconds: "2" });
const rounds: Result[][] = [];
for (let round = 0; round < Math.max(1, Number(values.rounds)); round++) {
  const order = gateways.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  const row: Result[] = [];
  for (const i of order)
    row[i] = await load(gateways[i] as { url: string; pid: number }, auth(i), {
      ...options,
      seconds: values.duration as string,
    });
  rounds.push(row);
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
console.log(
  `wrk -t${values.threads} -c${values.connections} -d${values.duration}s, POST tools/call, ${rounds.length} rounds; ratios to the first binary within each round, median`,
);
for (const [i, binary] of binaries.entries()) {
  const runs = rounds.map((row) => row[i] as Result);
  const ratio = (pick: (r: Result) => number) =>
    median(rounds.map((row) => pick(row[i] as Result) / pick(row[0] as Result)));
  const cpuRatios = rounds.map((row) => (row[i] as Result).cpu / (row[0] as Result).cpu);
  console.log(
    binary.padEnd(32),
    `req/s ${fixed(median(runs.map((r) => r.rps)), 0)}`,
    `p50 ${fixed(median(runs.map((r) => r.p50)), 2)} ms`,
    `CPU ${fixed(median(runs.map((r) => r.cpu)), 1)} µs/req`,
    `| throughput ${fixed(
      ratio((r) => r.rps),
      3,
    )}x p50 ${fixed(
      ratio((r) => r.p50),
      3,
    )}x CPU ${fixed(
      ratio((r) => r.cpu),
      3,
    )}x`,
    `(CPU per round: ${cpuRatios.map((x) => fixed(x, 2)).join(" ")})`,
    `  ${[...new Set(runs.map((r) => r.errors))].join("; ")}`,
  );
}

for (const target of [...gateways, backend]) await target.stop();
rmSync(dir, { recursive: true, force: true });
