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

// Two bare passthrough proxies (no checks): one streams the request body to the backend, the other
// reads it first and sends it with a length, as the gateway does (it needs the JSON-RPC id for its
// 502/504 bodies). The budget is measured against the second: the same fetch work, minus the checks.
function bareProxy(buffered: boolean) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    fetch: async (request) => {
      const upstream = await fetch(backendUrl, {
        method: request.method,
        headers: request.headers,
        body: buffered ? await request.bytes() : request.body,
        // @ts-expect-error Bun's fetch accepts duplex
        duplex: "half",
        decompress: false,
      });
      return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
    },
  });
}
const bareStreamed = bareProxy(false);
const bare = bareProxy(true);

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
const auth = { Authorization: `Bearer ${token}` };
const targets: [string, string, Record<string, string>][] = [
  ["backend (direct)", backendUrl, {}],
  ["bare proxy, streamed body", `http://127.0.0.1:${bareStreamed.port}/mcp`, {}],
  ["bare proxy, read body", `http://127.0.0.1:${bare.port}/mcp`, {}],
  ["gateway /mcp/{server}", gatewayUrl, auth],
  ["gateway, all via Elysia", `http://127.0.0.1:${elysiaOnly.port}/mcp/bench`, auth],
];
for (const [, url, headers] of targets.slice(1)) await load(url, headers, "2"); // warm-up
// Several rounds (--rounds) load the targets in turn and report medians: on a shared CPU, other
// jobs then weigh on every target alike instead of on whichever ran while they did.
const rounds: Result[][] = [];
const roundCount = Math.max(1, Number(values.rounds));
for (let round = 0; round < roundCount; round++) {
  // Odd rounds run the targets in reverse order, so a drift of the machine's speed over a run
  // (shared or throttled vCPUs) does not always favour the targets that run first.
  const order = targets.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  const row: Result[] = [];
  for (const i of order) {
    const [, url, headers] = targets[i] as (typeof targets)[number];
    row[i] = await load(url, headers, values.duration as string);
  }
  rounds.push(row);
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const results: [string, Result][] = targets.map(([name], i) => {
  const runs = rounds.map((row) => row[i] as Result);
  return [
    name,
    {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p90: median(runs.map((r) => r.p90)),
      p99: median(runs.map((r) => r.p99)),
      errors: [...new Set(runs.map((r) => r.errors))].join("; "),
    },
  ];
});

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
for (const [name, r] of results) {
  console.log(
    name.padEnd(26),
    r.rps.toFixed(0).padStart(10),
    r.p50.toFixed(2).padStart(9),
    r.p90.toFixed(2).padStart(9),
    r.p99.toFixed(2).padStart(9),
    `  ${r.errors}`,
  );
}
const ratio = (label: string, a: number, b: number) => {
  const x = results[a]?.[1] as Result;
  const y = results[b]?.[1] as Result;
  return `${label}: throughput ${(x.rps / y.rps).toFixed(3)}x, p50 ${(x.p50 / y.p50).toFixed(3)}x`;
};
const bareResult = results[2]?.[1] as Result;
const gw = results[3]?.[1] as Result;
const throughput = gw.rps / bareResult.rps;
const p50 = gw.p50 / bareResult.p50;
console.log(
  `\ngateway / bare (read body): throughput ${throughput.toFixed(3)}x (budget >= 0.9), p50 ${p50.toFixed(3)}x (budget <= 1.15)`,
);
console.log(throughput >= 0.9 && p50 <= 1.15 ? "WITHIN BUDGET" : "OVER BUDGET");
console.log(ratio("gateway / bare (streamed body)", 3, 1));
console.log(ratio("gateway all via Elysia / bare (read body)", 4, 2));

backend.stop(true);
bare.stop(true);
bareStreamed.stop(true);
gatewayServer.stop(true);
elysiaOnly.stop(true);
await ctx.close();
rmSync(dir, { recursive: true, force: true });
