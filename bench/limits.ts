// Rate limits and MCP activity recording on versus off on /mcp/{server} tools/call (issue #13):
// the same built executable started twice (three times with --scale) against one backend, loaded
// in turn every round (each in every place of the order as often); ratios are taken within each
// round and the median over rounds is reported. Budget: "on" keeps at least 95 % of "off"'s throughput.
// --scale adds a third gateway, "on" with 10,000 users and 1,000,000 stored activity rows seeded
// before it starts, compared with the empty "on" one (the hot path must not slow down with them).
// See bench/README.md. Not part of `bun test`.
// --baseline PATH adds "on" run by another executable (an older build), compared with "on"; a copy
// of the same executable makes it an A/A control.
// The budget's run: --duration 6 --burst 1 --warmup 6 --rounds 24 --restart [--pin] (bench/README.md).
// Usage: bun bench/limits.ts [--duration 5] [--rounds 6] [--warmup 6] [--burst SECONDS] [--connections 32] [--threads 2] [--scale] [--split] [--restart] [--pin] [--binary PATH] [--baseline PATH]
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { segmentInserter } from "../src/audit/activity/insert.ts";
import { type EncodedSegment, encodeSegment } from "../src/audit/activity/segment.ts";
import type { McpActivity } from "../src/audit/activity/types.ts";
import { buildExecutable } from "../test/executable/helpers.ts";
import { activityRow } from "../test/support/activity-row.ts";
import {
  type GatewayUnderTest,
  pinToCpu,
  spawnAnnounced,
  startBuiltGateway,
  statMicros,
} from "./processes.ts";
import { load, median, type Result } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    binary: { type: "string" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "6" },
    scale: { type: "boolean", default: false },
    // Two more gateways: rate limits only, stored activity only (what each half costs).
    split: { type: "boolean", default: false },
    baseline: { type: "string" },
    // Fresh gateway processes (and data directories) every round: a process's JIT decisions hold
    // for its life, so with one process per target a whole run can lean one way.
    restart: { type: "boolean", default: false },
    // The gateways on the second CPU, wrk and the backend on the first (as bench/compare.ts): the
    // gateway's threads (the writer's included) share one core, and the scheduler's placement of
    // four processes on two cores no longer varies from round to round.
    pin: { type: "boolean", default: false },
    // Each round's --duration split into bursts of this many seconds, the targets taking turns
    // (each in every place of the order as often): this machine's speed drifts by ±20 % within a
    // minute, and two targets loaded a second apart see much the same machine.
    burst: { type: "string" },
    // Load before measuring, per gateway and round: the JIT compiles the hot path's functions in
    // the first seconds (an FTL compile of the activity encoder alone takes 150 ms of a JIT
    // thread), and "on" has more of them to compile than "off".
    warmup: { type: "string", default: "6" },
  },
});
const pin = (cpu: number, pid: number) => {
  if (values.pin) pinToCpu(cpu, pid);
};

/** "on": per-user MCP limit accounted on every request (never reached) and every row stored. */
const ON = { RATE_LIMIT_ENABLED: "true", MCP_LOG_DB_ENABLED: "true" };
/**
 * "off": no rate limits, no stored activity. What stays: each request's row is still built and
 * handed to the dispatcher (metrics and the live feed have no off switch).
 */
const OFF = { RATE_LIMIT_ENABLED: "false", MCP_LOG_DB_ENABLED: "false" };

const ROOT = resolve(import.meta.dir, "..");
const binary = values.binary ?? (await buildExecutable());
const dir = mkdtempSync(join(tmpdir(), "authmcp-limits-"));

/** 10,000 users and 1,000,000 activity rows in a fresh data directory (schema from `init-db`). */
function seedScale(dataDir: string): void {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", AUTH_SQLITE_PATH: join(dataDir, "gateway.db") };
  const init = Bun.spawnSync([binary, "init-db"], { cwd: dataDir, env, stdout: "ignore", stderr: "inherit" });
  if (init.exitCode !== 0) throw new Error("init-db failed");
  const db = new Database(env.AUTH_SQLITE_PATH);
  const now = Date.now();
  db.transaction(() => {
    const user = db.prepare(
      "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?)",
    );
    for (let i = 0; i < 10_000; i++) user.run(`seed-${i}`, `seed${i}`, `seed${i}@example.test`, now, now);
  })();
  // As the gateway's writer stores them: a segment per batch of 2,000 (ACTIVITY_BATCH_SIZE).
  const insert = segmentInserter(db);
  const rows: McpActivity[] = [];
  for (let n = 0; n < 1_000_000; n++) {
    rows.push(
      activityRow({
        at: now - n * 1000,
        userId: `seed-${n % 10_000}`,
        clientId: "c",
        server: "bench",
        sessionId: "s",
        requestBytes: 80,
        ip: "127.0.0.1",
      }),
    );
    if (rows.length === 2000) insert(encodeSegment(rows.splice(0)) as EncodedSegment);
  }
  db.close();
}

const backend = await spawnAnnounced([process.execPath, "bench/targets/backend.ts"], ROOT);
pin(0, backend.pid);
interface Config {
  name: string;
  env: Record<string, string>;
  seed?: (dir: string) => void;
  executable: string;
}
const configs: Config[] = [
  { name: "off (no limits, no stored activity)", env: OFF, executable: binary },
  { name: "on (limits + stored activity)", env: ON, executable: binary },
];
if (values.scale)
  configs.push({ name: "on, 10k users + 1M activity rows", env: ON, seed: seedScale, executable: binary });
if (values.split) {
  configs.push({
    name: "rate limits only",
    env: { RATE_LIMIT_ENABLED: "true", MCP_LOG_DB_ENABLED: "false" },
    executable: binary,
  });
  configs.push({
    name: "stored activity only",
    env: { RATE_LIMIT_ENABLED: "false", MCP_LOG_DB_ENABLED: "true" },
    executable: binary,
  });
}
const BASELINE = "on, baseline executable";
if (values.baseline !== undefined) configs.push({ name: BASELINE, env: ON, executable: values.baseline });

interface Target {
  name: string;
  gateway: GatewayUnderTest;
  dataDir: string;
  stored: boolean;
}
/**
 * The order of `n` targets at turn `k`: rotated by k, so that each is first, second, … as often.
 * Reversing every other turn keeps the middle one of three always in the middle: in two runs whose
 * third gateway was a copy of "on" (the middle one), "on" measured 0.990× and 0.972× of its copy.
 */
function turns(n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => (i + k) % n);
}

/**
 * Every configuration started in a fresh data directory (tagged with the round), in an order
 * rotated every round: in one A/A run (one configuration started twice), the second measured 0.967× the
 * first (bench/README.md), which would otherwise always count against "on".
 */
async function launchAll(round: number): Promise<Target[]> {
  const started: Target[] = [];
  const order = turns(configs.length, round);
  for (const i of order) {
    const { name, env, seed, executable } = configs[i] as Config;
    const dataDir = join(dir, `${name.replace(/\W+/g, "-")}-${round}`);
    mkdirSync(dataDir);
    seed?.(dataDir);
    const gateway = await startBuiltGateway(executable, dataDir, backend.url, env);
    pin(1, gateway.pid);
    started[i] = { name, gateway, dataDir, stored: env.MCP_LOG_DB_ENABLED === "true" };
  }
  for (const { gateway } of started)
    await load(gateway, auth(gateway), { ...options, seconds: values.warmup as string });
  return started;
}

/**
 * CPU time of the gateway's main thread (the one that serves requests) so far, in µs: activity rows
 * are written by a worker thread, whose CPU the all-threads figure includes. On a machine with a
 * core to spare, the main thread's time per request is what bounds throughput.
 */
function mainThreadMicros(pid: number): number {
  return statMicros(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU time so far of the threads whose name is `name` (Bun names a Worker's thread "Worker"). */
function namedThreadsMicros(pid: number, name: string): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const stat = `/proc/${pid}/task/${task}/stat`;
    if (readFileSync(stat, "utf8").includes(`(${name})`)) total += statMicros(stat);
  }
  return total;
}

/** The activity writer thread, and JSC's compiler threads. */
const writerThreadMicros = (pid: number) => namedThreadsMicros(pid, "Worker");
const jitThreadMicros = (pid: number) => namedThreadsMicros(pid, "JITWorker");

type Measured = Result & { mainCpu: number; writerCpu: number; jitCpu: number };
async function measure(gateway: GatewayUnderTest, seconds: string): Promise<Measured> {
  const before = {
    main: mainThreadMicros(gateway.pid),
    writer: writerThreadMicros(gateway.pid),
    jit: jitThreadMicros(gateway.pid),
  };
  const result = await load(gateway, auth(gateway), { ...options, seconds });
  return {
    ...result,
    mainCpu: (mainThreadMicros(gateway.pid) - before.main) / result.requests,
    writerCpu: (writerThreadMicros(gateway.pid) - before.writer) / result.requests,
    jitCpu: (jitThreadMicros(gateway.pid) - before.jit) / result.requests,
  };
}

const burstSeconds = values.burst ?? (values.duration as string);
const burstsPerRound = Math.max(1, Math.round(Number(values.duration) / Number(burstSeconds)));

/** A round's bursts of one target as one measurement: totals per request, the bursts' median p50. */
function combine(bursts: Measured[]): Measured {
  const requests = bursts.reduce((sum, b) => sum + b.requests, 0);
  const perRequest = (pick: (b: Measured) => number) =>
    bursts.reduce((sum, b) => sum + pick(b) * b.requests, 0) / requests;
  return {
    rps: bursts.reduce((sum, b) => sum + b.rps, 0) / bursts.length,
    requests,
    p50: median(bursts.map((b) => b.p50)),
    p90: median(bursts.map((b) => b.p90)),
    p99: median(bursts.map((b) => b.p99)),
    cpu: perRequest((b) => b.cpu),
    mainCpu: perRequest((b) => b.mainCpu),
    writerCpu: perRequest((b) => b.writerCpu),
    jitCpu: perRequest((b) => b.jitCpu),
    errors: [...new Set(bursts.map((b) => b.errors))].join("; "),
  };
}

const options = {
  dir,
  threads: values.threads as string,
  connections: values.connections as string,
  prefix: values.pin ? ["taskset", "-c", "0"] : [],
};
const auth = (g: GatewayUnderTest) => ({ Authorization: `Bearer ${g.token}` });
const loadBefore = loadavg();
const rounds: Measured[][] = [];
/** Every gateway started, stopped once measured (its stored rows are counted at the end). */
const used: Target[] = [];
let targets = await launchAll(0);
for (let round = 0; round < Math.max(1, Number(values.rounds)); round++) {
  if (round > 0 && values.restart) {
    for (const { gateway } of targets) await gateway.stop();
    used.push(...targets);
    targets = await launchAll(round);
  }
  const bursts: Measured[][] = targets.map(() => []);
  for (let burst = 0; burst < burstsPerRound; burst++) {
    const order = turns(targets.length, round + burst);
    for (const i of order) {
      const { gateway } = targets[i] as { gateway: GatewayUnderTest };
      bursts[i]?.push(await measure(gateway, burstSeconds));
    }
  }
  rounds.push(bursts.map(combine));
}
const loadAfter = loadavg();

const fixed = (x: number, digits: number) => x.toFixed(digits);
console.log(
  `wrk -t${values.threads} -c${values.connections} -d${values.duration}s, POST /mcp/bench tools/call, ${rounds.length} rounds${values.restart ? " (fresh gateways each)" : ""}${values.pin ? ", pinned" : ""}${burstsPerRound > 1 ? `, each round in ${burstsPerRound} bursts of ${burstSeconds} s taking turns` : ""}, load average ${fixed(loadBefore[0] ?? 0, 1)} before, ${fixed(loadAfter[0] ?? 0, 1)} after`,
);
console.log(
  `${"target".padEnd(36)}   req/s    p50 ms  CPU µs/req  main µs/req  writer µs/req  JIT µs/req   errors`,
);
for (const [i, { name }] of targets.entries()) {
  const runs = rounds.map((row) => row[i] as Measured);
  console.log(
    name.padEnd(36),
    fixed(median(runs.map((r) => r.rps)), 0).padStart(7),
    fixed(median(runs.map((r) => r.p50)), 2).padStart(9),
    fixed(median(runs.map((r) => r.cpu)), 1).padStart(11),
    fixed(median(runs.map((r) => r.mainCpu)), 1).padStart(12),
    fixed(median(runs.map((r) => r.writerCpu)), 1).padStart(14),
    fixed(median(runs.map((r) => r.jitCpu)), 1).padStart(11),
    `  ${[...new Set(runs.map((r) => r.errors))].join("; ")}`,
  );
}
const ratios = (a: number, b: number) => {
  const per = rounds.map((row) => (row[a] as Measured).rps / (row[b] as Measured).rps);
  const cpu = rounds.map((row) => (row[a] as Measured).cpu / (row[b] as Measured).cpu);
  const main = rounds.map((row) => (row[a] as Measured).mainCpu / (row[b] as Measured).mainCpu);
  const sorted = [...per].sort((x, y) => x - y);
  const quartile = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    throughput: median(per),
    cpu: median(cpu),
    main: median(main),
    per,
    q1: quartile(0.25),
    q3: quartile(0.75),
  };
};
const onOff = ratios(1, 0);
console.log(
  `\non / off: throughput ${fixed(onOff.throughput, 3)}x (budget >= 0.95; quartiles ${fixed(onOff.q1, 3)}–${fixed(onOff.q3, 3)}), CPU per request ${fixed(onOff.cpu, 3)}x, main thread ${fixed(onOff.main, 3)}x; per round ${onOff.per.map((x) => fixed(x, 2)).join(" ")}`,
);
console.log(onOff.throughput >= 0.95 ? "within budget" : "OVER BUDGET");
for (const [i, { name }] of targets.entries())
  console.log(
    `  req/s per round, ${name}: ${rounds.map((row) => fixed((row[i] as Measured).rps, 0)).join(" ")}`,
  );
if (values.split) {
  for (const name of ["rate limits only", "stored activity only"]) {
    const split = ratios(
      targets.findIndex((t) => t.name === name),
      0,
    );
    console.log(
      `${name} / off: throughput ${fixed(split.throughput, 3)}x, CPU per request ${fixed(split.cpu, 3)}x, main thread ${fixed(split.main, 3)}x; per round ${split.per.map((x) => fixed(x, 2)).join(" ")}`,
    );
  }
}
if (values.baseline !== undefined) {
  const baseline = targets.findIndex((t) => t.name === BASELINE);
  for (const [label, a, b] of [
    ["on / on (baseline executable)", 1, baseline],
    ["on (baseline executable) / off", baseline, 0],
  ] as const) {
    const r = ratios(a, b);
    console.log(
      `${label}: throughput ${fixed(r.throughput, 3)}x, CPU per request ${fixed(r.cpu, 3)}x, main thread ${fixed(r.main, 3)}x; per round ${r.per.map((x) => fixed(x, 2)).join(" ")}`,
    );
  }
}
if (values.scale) {
  const scaled = ratios(2, 1);
  console.log(
    `on with 10k users + 1M rows / on empty: throughput ${fixed(scaled.throughput, 3)}x, CPU per request ${fixed(scaled.cpu, 3)}x; per round ${scaled.per.map((x) => fixed(x, 2)).join(" ")}`,
  );
}

for (const { gateway } of targets) await gateway.stop();
used.push(...targets);
await backend.stop();
// The rows each gateway stored (its writer thread flushes on shutdown): proof that the built
// executable's worker entry point writes, and that nothing was lost on the way.
let missing = false;
const storedBy = new Map<string, { rows: number; stored: boolean }>();
for (const { name, dataDir, stored } of used) {
  const db = new Database(join(dataDir, "gateway.db"), { readonly: true });
  // An older build (--baseline) may keep a row per request in `mcp_activity`.
  const segments =
    db.query("SELECT 1 FROM sqlite_master WHERE name = 'mcp_activity_segments'").get() !== null;
  const count = segments
    ? "SELECT coalesce(sum(rows), 0) AS n FROM mcp_activity_segments"
    : "SELECT count(*) AS n FROM mcp_activity";
  const { n } = db.query(count).get() as { n: number };
  db.close();
  const total = storedBy.get(name) ?? { rows: 0, stored };
  storedBy.set(name, { rows: total.rows + n, stored });
  if (stored && n === 0) missing = true;
}
for (const [name, { rows }] of storedBy) console.log(`activity rows stored by "${name}": ${rows}`);
rmSync(dir, { recursive: true, force: true });
if (missing) {
  console.error("a gateway with MCP_LOG_DB_ENABLED=true stored no activity row");
  process.exit(1);
}
