import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

/** A port nobody listens on right now (the kernel's pick for port 0, released). */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** Builds the executable once into a temporary directory with `scripts/build.ts`. */
export async function buildExecutable(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "authmcp-build-"));
  const outfile = join(dir, "authmcp-gateway");
  const proc = Bun.spawn([process.execPath, "scripts/build.ts", "--outfile", outfile], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`build failed (${code}):\n${out}\n${err}`);
  return outfile;
}

/** Polls `url` until it answers 200, or throws with the process output after `attempts` tries. */
export async function waitFor(url: string, describe: () => string, attempts = 150): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${url} never answered 200\n${describe()}`);
}

/** Collects a stream's text as it arrives, so a failing test can show what the process said. */
export function collect(stream: ReadableStream<Uint8Array>): { text: () => string; done: Promise<void> } {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { text: () => text, done };
}

/** What a process run to its end said: its exit code and its whole stdout and stderr. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` to its end with `stdin` (none when undefined) and collects its output. */
export async function runToEnd(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; stdin?: string },
): Promise<Finished> {
  const proc = Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}
