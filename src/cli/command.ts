/** What a command may use from the process; main.ts builds it (the only place reading process state). */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdin: { isTTY: boolean; text(): Promise<string> };
  stdout(text: string): void;
  stderr(text: string): void;
  /** Asks a question on the terminal; `hidden` turns echo off (passwords). */
  prompt(question: string, options?: { hidden?: boolean }): Promise<string | null>;
  /** Resolves when SIGINT or SIGTERM arrives. */
  untilSignal(): Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit status. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
