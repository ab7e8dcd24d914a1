// wrk under a fixed POST tools/call, with the CPU time the target's process spent per request.
// Shared by bench/proxy.ts and bench/compare.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpuMicros } from "./processes.ts";

export const REQUEST = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "echo", arguments: { text: "ok" } },
});

export interface Result {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  /** CPU time of the target's process per request, in µs (all its threads). */
  cpu: number;
  /** Requests wrk completed. */
  requests: number;
  errors: string;
}

export interface LoadOptions {
  /** Where the wrk script is written. */
  dir: string;
  seconds: string;
  threads: string;
  connections: string;
  /** Prefix of the wrk command line (`taskset -c 0` to pin it). */
  prefix?: string[];
  /** Lua appended to the script (a `request()` that builds other bodies, say). */
  lua?: string;
}

function millis(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

export async function load(
  target: { url: string; pid: number },
  headers: Record<string, string>,
  options: LoadOptions,
): Promise<Result> {
  const script = join(options.dir, "post.lua");
  const lines = [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(REQUEST)}`];
  for (const [k, v] of Object.entries({
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    ...headers,
  })) {
    lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  }
  if (options.lua !== undefined) lines.push(options.lua);
  writeFileSync(script, lines.join("\n"));
  const cpuBefore = cpuMicros(target.pid);
  const proc = Bun.spawn(
    [
      ...(options.prefix ?? []),
      "wrk",
      "--latency",
      "-t",
      options.threads,
      "-c",
      options.connections,
      "-d",
      `${options.seconds}s`,
      "-s",
      script,
      target.url,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const cpu = cpuMicros(target.pid) - cpuBefore;
  const pick = (label: string) => millis(new RegExp(`^\\s*${label}\\s+(\\S+)`, "m").exec(out)?.[1] ?? "");
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? "0";
  const socket = /Socket errors: (.*)/.exec(out)?.[1] ?? "none";
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50: pick("50%"),
    p90: pick("90%"),
    p99: pick("99%"),
    cpu: cpu / requests,
    requests,
    errors: `non-2xx ${non2xx}, socket ${socket}`,
  };
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
