// Load benchmark of the per-server proxy: a minimal backend, a bare Bun passthrough proxy (fetch
// with no checks) and the gateway, each loaded by wrk doing tools/call. Prints requests/s, latency
// percentiles and the gateway/bare ratios. Not part of `bun test`. See bench/README.md.
// Usage: bun bench/proxy.ts [--duration 10] [--connections 32] [--threads 2] [--rounds 1]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.ts";
import { IDLE_TIMEOUT_SECONDS } from "../src/cli/start.ts";
import { loadConfig } from "../src/config/load.ts";
import { createContext } from "../src/context.ts";
import { attachApp } from "../src/http/serve.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "1" },
  },
});

const RESPONSE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  result: { content: [{ type: "text", text: "ok" }] },
});
const REQUEST = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "echo", arguments: { text: "ok" } },
});

const backend = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    await request.text();
    return new Response(RESPONSE, { headers: { "content-type": "application/json" } });
  },
});
const backendUrl = `http://127.0.0.1:${backend.port}/mcp`;

// Bare passthrough proxies (fetch to the backend with the request's method and headers, no checks).
// "streamed" pipes the request body; "read" reads it first and sends it with a length, as the
// gateway does (it needs the JSON-RPC id for its 502/504 bodies), and answers with a new Response
// around the backend's body; "passthrough" reads the body too but returns the backend's Response
// object itself, as the gateway does for non-SSE answers. The budget is measured against the
// fastest of the two body-reading ones in each round: the same fetch work, minus the checks.
// "deadlines" is "passthrough" plus the two behaviours the issue requires of every proxied request
// and that cost in Bun's fetch: the first-byte timeout and the abort when the client goes away,
// done as the gateway does them. It is not a reference, it shows their share of the gap.
type BareMode = "streamed" | "read" | "passthrough" | "deadlines";
function bareProxy(mode: BareMode) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    fetch: async (request) => {
      const firstByte = mode === "deadlines" ? new AbortController() : undefined;
      const timer = firstByte ? setTimeout(() => firstByte.abort(), 30_000) : undefined;
      const upstream = await fetch(backendUrl, {
        method: request.method,
        headers: request.headers,
        body: mode === "streamed" ? request.body : await request.bytes(),
        // @ts-expect-error Bun's fetch accepts duplex
        duplex: "half",
        decompress: false,
        signal: firstByte ? AbortSignal.any([request.signal, firstByte.signal]) : null,
      });
      clearTimeout(timer);
      if (mode === "passthrough" || mode === "deadlines") return upstream;
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    },
  });
}
const bareStreamed = bareProxy("streamed");
const bareRead = bareProxy("read");
const barePassthrough = bareProxy("passthrough");
const bareDeadlines = bareProxy("deadlines");

const dir = mkdtempSync(join(tmpdir(), "authmcp-bench-"));
const gatewayServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  fetch: () => new Response("starting", { status: 503 }),
});
const publicUrl = `http://127.0.0.1:${gatewayServer.port}`;
const { config } = loadConfig({
  env: {
    AUTH_SQLITE_PATH: join(dir, "bench.db"),
    MCP_PUBLIC_URL: publicUrl,
    LOG_LEVEL: "warn",
    RATE_LIMIT_AUTH_PER_MINUTE: "100000",
  },
  cwd: dir,
});
const ctx = await createContext(config);
const app = createApp(ctx);
// Served exactly as `start` serves it.
attachApp(gatewayServer, app, ctx);
const user = await ctx.users.create({
  username: "bench",
  email: "bench@example.test",
  password: "Correct-Horse-9",
});
if (!user.ok) throw new Error(user.message);
const server = await app.decorator.gateway.registry.create({
  name: "bench",
  url: backendUrl,
  openToAll: true,
});
if (!server.ok) throw new Error(server.message);
const login = await app.handle(
  new Request(`${publicUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: "bench",
      password: "Correct-Horse-9",
      resource: `${publicUrl}/mcp/bench`,
    }),
  }),
);
const token = ((await login.json()) as { access_token: string }).access_token;

interface Result {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: string;
}

function millis(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

async function load(url: string, headers: Record<string, string>, seconds: string): Promise<Result> {
  const script = join(dir, "post.lua");
  const lines = [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(REQUEST)}`];
  for (const [k, v] of Object.entries({
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    ...headers,
  })) {
    lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  }
  writeFileSync(script, lines.join("\n"));
  const proc = Bun.spawn(
    [
      "wrk",
      "--latency",
      "-t",
      values.threads as string,
      "-c",
      values.connections as string,
      "-d",
      `${seconds}s`,
      "-s",
      script,
      url,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const pick = (label: string) => millis(new RegExp(`^\\s*${label}\\s+(\\S+)`, "m").exec(out)?.[1] ?? "");
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
  const socket = /Socket errors: (.*)/.exec(out)?.[1] ?? "none";
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50: pick("50%"),
    p90: pick("90%"),
    p99: pick("99%"),
    errors: `non-2xx ${non2xx}, socket ${socket}`,
  };
}

// Sanity: the gateway answers 200 with the backend's body.
const probe = await fetch(`${publicUrl}/mcp/bench`, {
  method: "POST",
  headers: {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json",
  },
  body: REQUEST,
});
if (probe.status !== 200 || (await probe.text()) !== RESPONSE)
  throw new Error(`gateway probe failed: ${probe.status}`);

// The same app with every request, /mcp/{server} included, routed by Elysia (`app.handle`): what
// the framework layer costs compared with the routes `start` serves straight from Bun.serve.
const elysiaOnly = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  fetch: (request) => app.handle(request),
});
const gatewayUrl = `${publicUrl}/mcp/bench`;
// Every target gets the same request, token included: the bare proxies pass it on to the backend as
// a proxy without checks would, the gateway checks it and sends the backend its own headers instead.
const auth = { Authorization: `Bearer ${token}` };
const targets = {
  backend: { label: "backend (direct)", url: backendUrl, headers: {} },
  streamed: {
    label: "bare proxy, streamed body",
    url: `http://127.0.0.1:${bareStreamed.port}/mcp`,
    headers: {},
  },
  read: { label: "bare proxy, read body", url: `http://127.0.0.1:${bareRead.port}/mcp`, headers: {} },
  passthrough: {
    label: "bare proxy, passthrough",
    url: `http://127.0.0.1:${barePassthrough.port}/mcp`,
    headers: {},
  },
  deadlines: {
    label: "bare, + timeout and abort",
    url: `http://127.0.0.1:${bareDeadlines.port}/mcp`,
    headers: auth,
  },
  gateway: { label: "gateway /mcp/{server}", url: gatewayUrl, headers: auth },
  elysia: {
    label: "gateway, all via Elysia",
    url: `http://127.0.0.1:${elysiaOnly.port}/mcp/bench`,
    headers: auth,
  },
} satisfies Record<string, { label: string; url: string; headers: Record<string, string> }>;
type Target = keyof typeof targets;
// The bare proxies and the gateway sit next to each other in every round, so a drift of the
// machine's speed weighs on them alike; odd rounds run the order reversed.
const ORDER: Target[] = ["backend", "streamed", "read", "gateway", "passthrough", "deadlines", "elysia"];

for (const target of ORDER.slice(1)) await load(targets[target].url, targets[target].headers, "2"); // warm-up
const rounds: Record<Target, Result>[] = [];
const roundCount = Math.max(1, Number(values.rounds));
for (let round = 0; round < roundCount; round++) {
  const order = round % 2 === 1 ? [...ORDER].reverse() : ORDER;
  const row: Partial<Record<Target, Result>> = {};
  for (const target of order) {
    row[target] = await load(targets[target].url, targets[target].headers, values.duration as string);
  }
  rounds.push(row as Record<Target, Result>);
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
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
    `  ${[...new Set(runs.map((r) => r.errors))].join("; ")}`,
  );
}

// Ratios are taken within each round (the gateway against the reference measured next to it), then
// the median over rounds: steadier than a ratio of medians when the machine's speed drifts.
function ratios(of: Target, against: (row: Record<Target, Result>) => Result) {
  const throughput = median(rounds.map((row) => row[of].rps / against(row).rps));
  const p50 = median(rounds.map((row) => row[of].p50 / against(row).p50));
  return { throughput, p50 };
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
  `\ngateway / fastest body-reading bare proxy: throughput ${fixed(budget.throughput, 3)}x (budget >= 0.9), p50 ${fixed(budget.p50, 3)}x (budget <= 1.15)`,
);
if (roundCount > 1) console.log(`per round (throughput/p50): ${perRound}`);
console.log(budget.throughput >= 0.9 && budget.p50 <= 1.15 ? "WITHIN BUDGET" : "OVER BUDGET");
for (const [label, of, against] of [
  ["gateway / bare (read body)", "gateway", "read"],
  ["gateway / bare (passthrough)", "gateway", "passthrough"],
  ["gateway / bare (streamed body)", "gateway", "streamed"],
  ["bare + timeout and abort / bare (passthrough)", "deadlines", "passthrough"],
  ["gateway all via Elysia / bare (read body)", "elysia", "read"],
] as const) {
  const r = ratios(of, (row) => row[against]);
  console.log(`${label}: throughput ${fixed(r.throughput, 3)}x, p50 ${fixed(r.p50, 3)}x`);
}

for (const server of [backend, bareStreamed, bareRead, barePassthrough, gatewayServer, elysiaOnly])
  server.stop(true);
await ctx.close();
rmSync(dir, { recursive: true, force: true });
