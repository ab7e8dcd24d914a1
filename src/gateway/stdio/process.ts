import type { Logger } from "../../logger.ts";
import { asMessage, type JsonRpcMessage } from "../legacy-sse/messages.ts";

export interface ProcessLimits {
  /** Longest stdout line (one JSON-RPC message) accepted, in bytes; a longer one stops the process. */
  maxLineBytes: number;
  /** Longest stderr line written to the log, in characters. */
  stderrLineChars: number;
  /** Time to exit after stdin closes and SIGTERM, before SIGKILL. */
  stopGraceMs: number;
}

export interface ProcessSpec {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
}

const NEWLINE = 10;
const DECODER = new TextDecoder();

/**
 * One running stdio MCP server: newline-delimited JSON-RPC on stdin/stdout (the MCP stdio
 * framing), stderr lines to the gateway log under the server's name.
 *
 * The child runs in a process group of its own (`detached`), so stopping it also reaches what it
 * started (`npx` → `node`, a shell → its command): stdin is closed, the group gets SIGTERM, and
 * SIGKILL after the grace time; the group gets SIGKILL once more when the child is gone, so no
 * grandchild outlives it.
 */
export class StdioProcess {
  private stopping: Promise<void> | undefined;
  private ended = false;
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: Bun.Subprocess<"pipe", "pipe", "pipe">,
    private readonly server: string,
    private readonly logger: Logger,
    private readonly limits: ProcessLimits,
    onMessage: (message: JsonRpcMessage) => void,
    onExit: (reason: string) => void,
  ) {
    void this.readStdout(onMessage);
    void this.readStderr();
    this.exited = child.exited.then((code) => {
      this.ended = true;
      this.killGroup("SIGKILL");
      const reason =
        child.signalCode !== null && child.signalCode !== undefined
          ? `killed by ${child.signalCode}`
          : `exited with code ${code}`;
      onExit(reason);
    });
  }

  /** Starts the command; throws when it cannot be started (not found, not executable, bad cwd). */
  static spawn(
    spec: ProcessSpec,
    server: string,
    logger: Logger,
    limits: ProcessLimits,
    onMessage: (message: JsonRpcMessage) => void,
    onExit: (reason: string) => void,
  ): StdioProcess {
    const child = Bun.spawn([spec.command, ...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
    return new StdioProcess(child, server, logger, limits, onMessage, onExit);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Writes one message; false when the process no longer takes input. */
  send(message: JsonRpcMessage): boolean {
    if (this.ended || this.stopping) return false;
    try {
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
      void Promise.resolve(this.child.stdin.flush()).catch(() => {});
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the process and its group; resolves once the child is gone. */
  stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  private async terminate(): Promise<void> {
    try {
      void Promise.resolve(this.child.stdin.end()).catch(() => {});
    } catch {
      // already closed
    }
    this.killGroup("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.limits.stopGraceMs);
    });
    await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (!this.ended) this.killGroup("SIGKILL");
    await this.exited;
  }

  private killGroup(signal: "SIGTERM" | "SIGKILL"): void {
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // the group is already empty
    }
    if (!this.ended) {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private async readStdout(onMessage: (message: JsonRpcMessage) => void): Promise<void> {
    for await (const line of lines(this.child.stdout, this.limits.maxLineBytes)) {
      if (line === undefined) {
        this.logger.warn(
          { server: this.server, maxLineBytes: this.limits.maxLineBytes },
          "stdio server wrote a message longer than MCP_STDIO_MAX_LINE_BYTES; stopping it",
        );
        void this.stop();
        return;
      }
      const text = DECODER.decode(line).trim();
      if (text === "") continue;
      let message: JsonRpcMessage | undefined;
      try {
        message = asMessage(JSON.parse(text));
      } catch {
        message = undefined;
      }
      if (message) onMessage(message);
      else
        this.logger.warn(
          { server: this.server, line: text.slice(0, this.limits.stderrLineChars) },
          "stdio server wrote a stdout line that is not a JSON-RPC message; ignored",
        );
    }
  }

  private async readStderr(): Promise<void> {
    // Bytes kept per line: enough for the characters logged, whatever their UTF-8 length.
    const keep = this.limits.stderrLineChars * 4;
    for await (const line of lines(this.child.stderr, keep, true)) {
      if (line === undefined) continue;
      const text = DECODER.decode(line).replace(/\r$/, "").slice(0, this.limits.stderrLineChars);
      if (text.trim() === "") continue;
      this.logger.info({ server: this.server, stderr: text }, "stdio server stderr");
    }
  }
}

/**
 * The lines of a byte stream, without their newline. A line longer than `max` bytes yields
 * undefined and ends the iteration, or, with `cut`, yields its first `max` bytes and skips the rest.
 */
async function* lines(
  stream: ReadableStream<Uint8Array>,
  max: number,
  cut = false,
): AsyncGenerator<Uint8Array | undefined> {
  let parts: Uint8Array[] = [];
  let size = 0;
  let skipping = false;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      let start = 0;
      for (;;) {
        const end = chunk.indexOf(NEWLINE, start);
        const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
        if (!skipping) {
          if (size + piece.length > max) {
            if (!cut) {
              yield undefined;
              return;
            }
            parts.push(piece.subarray(0, max - size));
            yield join(parts);
            parts = [];
            size = 0;
            skipping = true;
          } else if (piece.length > 0) {
            parts.push(piece);
            size += piece.length;
          }
        }
        if (end === -1) break;
        if (!skipping) yield join(parts);
        parts = [];
        size = 0;
        skipping = false;
        start = end + 1;
      }
    }
    if (size > 0 && !skipping) yield join(parts);
  } catch {
    // the pipe broke: the process is gone, its exit is reported by `exited`
  } finally {
    reader.releaseLock();
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
