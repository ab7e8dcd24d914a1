// Load benchmark of the aggregated endpoint `/mcp` (src/gateway/aggregate/). Every target runs in a
// process of its own on 127.0.0.1: one SDK-free backend process (bench/targets/mcp-backend.ts, 50
// tools per backend, one path per backend) and three built gateways set up through their CLI and
// admin API with 1, 5 and 20 backends registered. wrk loads, in an initialised `/mcp` session:
//   (a) tools/call through `/mcp` against the same call through the per-server proxy `/mcp/{server}`
//       (same gateway, same backend);
//   (b) tools/list through `/mcp` with 1, 5 and 20 backends of 50 tools each.
// Ratios are taken within each round, the median over rounds is reported. See bench/README.md.
// Usage: bun bench/aggregate.ts [--duration 5] [--rounds 3] [--connections 32] [--threads 2] [--binary PATH]
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildExecutable } from "../test/executable/helpers.ts";
import { cpuMicros, launchBuiltGateway, spawnAnnounced } from "./processes.ts";
import { load as loadWith, median, type Result } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    binary: { type: "string" },
  },
});

const ROOT = resolve(import.meta.dir, "..");
const PROTOCOL_VERSION = "2025-11-25";
const TOOLS_PER_BACKEND = 50;
const dir = mkdtempSync(join(tmpdir(), "authmcp-bench-aggregate-"));
const binary = values.binary ?? (await buildExecutable());
const backend = await spawnAnnounced(
  [process.execPath, "bench/targets/mcp-backend.ts", String(TOOLS_PER_BACKEND)],
  ROOT,
);

// Children left behind when this script fails part-way are ended on exit.
const children = new Set<number>([backend.pid]);
process.on("exit", () => {
  for (const pid of children) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
});

const serverName = (i: number) => `b${String(i).padStart(2, "0")}`;

/**
 * The built executable as `launchBuiltGateway` starts it (create-admin, start in an empty
 * directory, raised rate limits), with `count` backends registered as servers b00, b01, … through the admin
 * API. The admin may use every server, so its `/mcp` session sees all of them.
 */
async function startGateway(count: number) {
  const home = join(dir, `gateway-${count}`);
  mkdirSync(home);
  const gateway = await launchBuiltGateway(binary, home, (pid) => children.add(pid));
  const adminToken = await gateway.login();
  for (let i = 0; i < count; i++) {
    const created = await fetch(`${gateway.base}/admin/api/mcp-servers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ name: serverName(i), display_name: serverName(i), url: `${backend.url}/${i}` }),
    });
    if (!created.ok)
      throw new Error(`registering a backend failed: ${created.status} ${await created.text()}`);
  }
  return gateway;
}

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** The JSON-RPC message in a JSON or SSE answer (the last `data:` line of an SSE one). */
async function rpcResult(response: Response): Promise<{ result?: unknown; error?: unknown }> {
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) return JSON.parse(text);
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .at(-1);
  if (data === undefined) throw new Error(`no data in the SSE answer: ${text.slice(0, 200)}`);
  return JSON.parse(data.slice(5));
}

/** initialize + notifications/initialized on `/mcp`: the headers every later request needs. */
async function openSession(gateway: Gateway) {
  const token = await gateway.login(`${gateway.base}/mcp`);
  const common = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const init = await fetch(`${gateway.base}/mcp`, {
    method: "POST",
    headers: common,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "bench", version: "1.0.0" },
      },
    }),
  });
  const sessionId = init.headers.get("mcp-session-id");
  const answer = await rpcResult(init);
  if (init.status !== 200 || sessionId === null || answer.result === undefined)
    throw new Error(`initialize on /mcp failed: ${init.status} ${JSON.stringify(answer)}`);
  const headers = {
    Authorization: `Bearer ${token}`,
    "Mcp-Session-Id": sessionId,
    "MCP-Protocol-Version": PROTOCOL_VERSION,
  };
  const initialized = await fetch(`${gateway.base}/mcp`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", accept: common.accept },
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status}`);
  return headers;
}

/**
 * A wrk `request()` giving every request its own JSON-RPC id (thread number × 10⁹ + a counter):
 * the session's transport maps answers to requests by id, so concurrent requests with one id would
 * collide. Used for every target alike.
 */
function uniqueIds(method: string, params: unknown): string {
  const before = `{"jsonrpc":"2.0","id":`;
  const after = `,"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
  return [
    "local threads = 0",
    'function setup(thread) threads = threads + 1; thread:set("tnum", threads) end',
    "local counter = 0",
    "function request()",
    "  counter = counter + 1",
    `  local id = string.format("%d", tnum * 1000000000 + counter)`,
    `  return wrk.format(nil, nil, nil, ${JSON.stringify(before)} .. id .. ${JSON.stringify(after)})`,
    "end",
  ].join("\n");
}

const gateways = { 1: await startGateway(1), 5: await startGateway(5), 20: await startGateway(20) };
const sessions = {
  1: await openSession(gateways[1]),
  5: await openSession(gateways[5]),
  20: await openSession(gateways[20]),
};
const proxyHeaders = {
  Authorization: `Bearer ${await gateways[1].login(`${gateways[1].base}/mcp/${serverName(0)}`)}`,
  "MCP-Protocol-Version": PROTOCOL_VERSION,
};

const CALL_ARGS = { arguments: { text: "ok" } };
/**
 * The lists are asked for as MCP clients ask: Bun's and Node's fetch (the SDK client's) send
 * `Accept-Encoding: gzip, deflate, br` on their own, so a large page goes gzip-encoded
 * (MCP_AGGREGATE_LIST_GZIP_MIN_BYTES); the "identity" rows ask for it uncompressed.
 */
const GZIP = { "Accept-Encoding": "gzip, deflate, br" };
const IDENTITY = { "Accept-Encoding": "identity" };
const callProxy = uniqueIds("tools/call", { name: "tool_00", ...CALL_ARGS });
const callAggregate = uniqueIds("tools/call", { name: `${serverName(0)}__tool_00`, ...CALL_ARGS });
const list = uniqueIds("tools/list", {});

interface Target {
  label: string;
  url: string;
  pid: number;
  headers: Record<string, string>;
  lua: string;
}
const targets = {
  proxyCall: {
    label: "tools/call /mcp/{server}",
    url: `${gateways[1].base}/mcp/${serverName(0)}`,
    pid: gateways[1].pid,
    headers: proxyHeaders,
    lua: callProxy,
  },
  aggregateCall: {
    label: "tools/call /mcp",
    url: `${gateways[1].base}/mcp`,
    pid: gateways[1].pid,
    headers: sessions[1],
    lua: callAggregate,
  },
  list1: {
    label: "tools/list /mcp, 1 backend",
    url: `${gateways[1].base}/mcp`,
    pid: gateways[1].pid,
    headers: { ...sessions[1], ...GZIP },
    lua: list,
  },
  list5: {
    label: "tools/list /mcp, 5 backends",
    url: `${gateways[5].base}/mcp`,
    pid: gateways[5].pid,
    headers: { ...sessions[5], ...GZIP },
    lua: list,
  },
  list20: {
    label: "tools/list /mcp, 20 backends",
    url: `${gateways[20].base}/mcp`,
    pid: gateways[20].pid,
    headers: { ...sessions[20], ...GZIP },
    lua: list,
  },
  list1Identity: {
    label: "tools/list 1 backend, identity",
    url: `${gateways[1].base}/mcp`,
    pid: gateways[1].pid,
    headers: { ...sessions[1], ...IDENTITY },
    lua: list,
  },
  list20Identity: {
    label: "tools/list 20 backends, identity",
    url: `${gateways[20].base}/mcp`,
    pid: gateways[20].pid,
    headers: { ...sessions[20], ...IDENTITY },
    lua: list,
  },
} satisfies Record<string, Target>;
type Name = keyof typeof targets;

// Sanity: every target answers 200 with a JSON-RPC result; /mcp lists every backend's tools.
for (const [name, target] of Object.entries(targets) as [Name, Target][]) {
  const method = name.endsWith("Call") ? "tools/call" : "tools/list";
  const params =
    name === "proxyCall"
      ? { name: "tool_00", ...CALL_ARGS }
      : name === "aggregateCall"
        ? { name: `${serverName(0)}__tool_00`, ...CALL_ARGS }
        : {};
  const response = await fetch(target.url, {
    method: "POST",
    headers: {
      ...target.headers,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
  });
  const encoding = response.headers.get("content-encoding");
  const gzipExpected = name.startsWith("list") && !name.endsWith("Identity");
  if ((encoding === "gzip") !== gzipExpected)
    throw new Error(
      `${target.label}: content-encoding ${encoding}, expected ${gzipExpected ? "gzip" : "none"}`,
    );
  const answer = await rpcResult(response);
  if (response.status !== 200 || answer.result === undefined)
    throw new Error(`probe of ${target.label} failed: ${response.status} ${JSON.stringify(answer)}`);
  const expected = { list1: 1, list5: 5, list20: 20, list1Identity: 1, list20Identity: 20 }[name as "list1"];
  if (expected !== undefined) {
    const tools = (answer.result as { tools: unknown[]; nextCursor?: string }).tools;
    if (
      tools.length !== expected * TOOLS_PER_BACKEND ||
      (answer.result as { nextCursor?: string }).nextCursor
    )
      throw new Error(
        `${target.label}: ${tools.length} tools in one page, expected ${expected * TOOLS_PER_BACKEND}`,
      );
  }
}

type Measured = Result & { backendCpu: number };
/** wrk on one target; also the backends' CPU time per request (≈ 0 when nothing reaches them). */
async function load(target: Target, seconds: string): Promise<Measured> {
  const before = cpuMicros(backend.pid);
  const result = await loadWith(target, target.headers, {
    dir,
    seconds,
    threads: values.threads as string,
    connections: values.connections as string,
    lua: target.lua,
  });
  return { ...result, backendCpu: (cpuMicros(backend.pid) - before) / result.requests };
}

// The two sides of each comparison sit next to each other in every round; odd rounds run the
// order reversed.
const ORDER: Name[] = [
  "proxyCall",
  "aggregateCall",
  "list1",
  "list5",
  "list20",
  "list1Identity",
  "list20Identity",
];
for (const name of ORDER) await load(targets[name], "2"); // warm-up (fills the catalog caches)
const rounds: Record<Name, Measured>[] = [];
const roundCount = Math.max(1, Number(values.rounds));
for (let round = 0; round < roundCount; round++) {
  const order = round % 2 === 1 ? [...ORDER].reverse() : ORDER;
  const row: Partial<Record<Name, Measured>> = {};
  for (const name of order) row[name] = await load(targets[name], values.duration as string);
  rounds.push(row as Record<Name, Measured>);
  console.error(`round ${round + 1}/${roundCount} done`);
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
console.log(
  `wrk -t${values.threads} -c${values.connections} -d${values.duration}s, POST in an initialised session, median of ${roundCount} round(s)`,
);
console.log(
  "target".padEnd(30),
  "req/s".padStart(9),
  "p50 ms".padStart(9),
  "p90 ms".padStart(9),
  "p99 ms".padStart(9),
  "CPU µs/req".padStart(11),
  "backend µs/req".padStart(15),
  "  errors",
);
for (const name of ORDER) {
  const runs = rounds.map((row) => row[name]);
  console.log(
    targets[name].label.padEnd(30),
    fixed(median(runs.map((r) => r.rps)), 0).padStart(9),
    fixed(median(runs.map((r) => r.p50)), 2).padStart(9),
    fixed(median(runs.map((r) => r.p90)), 2).padStart(9),
    fixed(median(runs.map((r) => r.p99)), 2).padStart(9),
    fixed(median(runs.map((r) => r.cpu)), 1).padStart(11),
    fixed(median(runs.map((r) => r.backendCpu)), 1).padStart(15),
    `  ${[...new Set(runs.map((r) => r.errors))].join("; ")}`,
  );
}

function compare(label: string, of: Name, against: Name, budget: number) {
  const throughput = rounds.map((row) => row[of].rps / row[against].rps);
  const p50 = rounds.map((row) => row[of].p50 / row[against].p50);
  const cpu = rounds.map((row) => row[of].cpu / row[against].cpu);
  const within = median(throughput) >= budget;
  console.log(
    `\n${label}: throughput ${fixed(median(throughput), 3)}x (budget >= ${fixed(budget, 3)}), p50 ${fixed(median(p50), 3)}x, CPU per request ${fixed(median(cpu), 3)}x — ${within ? "WITHIN BUDGET" : "OVER BUDGET"}`,
  );
  console.log(`  per round (throughput): ${throughput.map((x) => fixed(x, 2)).join(" ")}`);
  console.log(`  per round (CPU/req):    ${cpu.map((x) => fixed(x, 2)).join(" ")}`);
  return within;
}
const callOk = compare("tools/call /mcp / /mcp/{server}", "aggregateCall", "proxyCall", 0.8);
compare("tools/list 5 backends / 1 backend", "list5", "list1", 1 / 1.2);
const listOk = compare("tools/list 20 backends / 1 backend", "list20", "list1", 1 / 1.2);
compare("tools/list 20 backends / 1 backend, identity", "list20Identity", "list1Identity", 1 / 1.2);
console.log(`\n${callOk && listOk ? "BOTH BUDGETS MET" : "NOT ALL BUDGETS MET"}`);

for (const gateway of Object.values(gateways)) await gateway.stop();
await backend.stop();
rmSync(dir, { recursive: true, force: true });
if (values.binary === undefined) rmSync(dirname(binary), { recursive: true, force: true });
