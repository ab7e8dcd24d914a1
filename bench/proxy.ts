// Load benchmark of the per-server proxy: a minimal backend, a bare Bun passthrough proxy (fetch
// with no checks) and the gateway, each loaded by wrk doing tools/call. Prints requests/s, latency
// percentiles and the gateway/bare ratios. Not part of `bun test`. See bench/README.md.
// Usage: bun bench/proxy.ts [--duration 10] [--connections 32] [--threads 2]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config/load.ts";
import { createContext } from "../src/context.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
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

const bare = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    const upstream = await fetch(backendUrl, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      // @ts-expect-error Bun's fetch accepts duplex
      duplex: "half",
      decompress: false,
    });
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
});

const dir = mkdtempSync(join(tmpdir(), "authmcp-bench-"));
const gatewayServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
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
gatewayServer.reload({ fetch: (request) => app.handle(request) });
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

// The same gateway services dispatched straight from Bun.serve for /mcp/{server}, without the Elysia
// app around them (what a fast path in `start` would give); every other path goes to the app.
const proxy = app.decorator.gateway.proxy;
const direct = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  fetch: (request) => {
    const match = /^\/mcp\/([a-z0-9][a-z0-9-]{0,31})$/.exec(new URL(request.url).pathname);
    return match ? proxy.handle(request, match[1] as string) : app.handle(request);
  },
});
const bareUrl = `http://127.0.0.1:${bare.port}/mcp`;
const gatewayUrl = `${publicUrl}/mcp/bench`;
const auth = { Authorization: `Bearer ${token}` };
await load(bareUrl, {}, "2"); // warm-up
await load(gatewayUrl, auth, "2");
const results: [string, Result][] = [
  ["backend (direct)", await load(backendUrl, {}, values.duration as string)],
  ["bare Bun proxy", await load(bareUrl, {}, values.duration as string)],
  ["gateway /mcp/{server}", await load(gatewayUrl, auth, values.duration as string)],
  [
    "gateway, no Elysia",
    await load(`http://127.0.0.1:${direct.port}/mcp/bench`, auth, values.duration as string),
  ],
];

console.log(
  `wrk -t${values.threads} -c${values.connections} -d${values.duration}s, POST tools/call (JSON response)`,
);
console.log(
  "target".padEnd(24),
  "req/s".padStart(10),
  "p50 ms".padStart(9),
  "p90 ms".padStart(9),
  "p99 ms".padStart(9),
  "  errors",
);
for (const [name, r] of results) {
  console.log(
    name.padEnd(24),
    r.rps.toFixed(0).padStart(10),
    r.p50.toFixed(2).padStart(9),
    r.p90.toFixed(2).padStart(9),
    r.p99.toFixed(2).padStart(9),
    `  ${r.errors}`,
  );
}
const bareResult = results[1]?.[1] as Result;
const gw = results[2]?.[1] as Result;
const throughput = gw.rps / bareResult.rps;
const p50 = gw.p50 / bareResult.p50;
console.log(
  `\ngateway / bare: throughput ${throughput.toFixed(3)}x (budget >= 0.9), p50 ${p50.toFixed(3)}x (budget <= 1.15)`,
);
console.log(throughput >= 0.9 && p50 <= 1.15 ? "WITHIN BUDGET" : "OVER BUDGET");
const fast = results[3]?.[1] as Result;
console.log(
  `gateway without Elysia / bare: throughput ${(fast.rps / bareResult.rps).toFixed(3)}x, p50 ${(fast.p50 / bareResult.p50).toFixed(3)}x`,
);

backend.stop(true);
bare.stop(true);
gatewayServer.stop(true);
direct.stop(true);
await ctx.close();
rmSync(dir, { recursive: true, force: true });
