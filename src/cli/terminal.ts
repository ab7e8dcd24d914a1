import type { CliIo } from "./command.ts";

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const BACKSPACE = new Set(["\u007f", "\b"]);

/** Characters typed ahead of the current prompt (a pasted block holds several lines). */
interface TypeAhead {
  text: string;
}

/** Reads one line from the terminal; with `hidden`, in raw mode so nothing is echoed. */
function promptLine(question: string, hidden: boolean, ahead: TypeAhead): Promise<string | null> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let line = "";
    let done = false;
    const pending = ahead.text;
    ahead.text = "";
    // Echo goes off before the question shows, so an answer typed after it is never displayed.
    if (hidden) stdin.setRawMode(true);
    process.stdout.write(question);
    stdin.setEncoding("utf8");
    const finish = (value: string | null) => {
      done = true;
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (hidden) {
        stdin.setRawMode(false);
        process.stdout.write("\n");
      }
      stdin.pause();
      resolve(value);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: string) => {
      const chars = [...chunk];
      for (const [i, ch] of chars.entries()) {
        if (ch === "\r" || ch === "\n") {
          ahead.text = chars
            .slice(i + 1)
            .join("")
            .replace(/^\n/, "");
          return finish(line);
        }
        if (ch === CTRL_C || (ch === CTRL_D && line === "")) return finish(null);
        if (BACKSPACE.has(ch)) line = line.slice(0, -1);
        else if (ch >= " ") line += ch;
      }
    };
    if (pending !== "") {
      onData(pending);
      if (done) return;
    }
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

/** The real process behind CliIo; `env` is passed in by main.ts (the one place reading process.env). */
export function processIo(env: Record<string, string | undefined>): CliIo {
  const ahead: TypeAhead = { text: "" };
  return {
    env,
    cwd: process.cwd(),
    stdin: { isTTY: Boolean(process.stdin.isTTY), text: () => Bun.stdin.text() },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    prompt: (question, options) => promptLine(question, options?.hidden ?? false, ahead),
    untilSignal: () =>
      new Promise((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      }),
  };
}
