/** Pino's levels, by name; a filter keeps the lines at or above one. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export const LOG_LEVEL_NAMES = Object.keys(LOG_LEVELS) as LogLevelName[];

/** One application log line as the admin reads it. */
export interface LogLine {
  /** Its place in the ring's sequence (1, 2, …): a newer line has a larger one. */
  seq: number;
  /** As the line says it (ISO 8601), or "" when it has none. */
  time: string;
  level: string;
  msg: string;
  /** Every other field of the line (`service` left out: it is always the gateway). */
  fields: Record<string, unknown>;
  /** The line was longer than LOG_RING_LINE_CHARS: `fields` holds the start of its fields' JSON. */
  truncated: boolean;
}

export interface LogFilter {
  /** Keep lines at or above this level. */
  level?: LogLevelName;
  /** Keep lines whose message or fields contain this text (case-insensitive). */
  text?: string;
}

export interface LogRingOptions {
  /** Most lines kept (LOG_RING_LINES). */
  lines: number;
  /** Longest line kept whole, in characters (LOG_RING_LINE_CHARS). */
  lineChars: number;
}

/** A line as kept: the JSON text when it fits, else what is left of it after cutting. */
type Slot = { seq: number; text: string } | { seq: number; line: LogLine };

const OMITTED = new Set(["time", "level", "msg", "service"]);

/**
 * The most recent application log lines, in memory: pino writes every line here as it writes it to
 * stdout (src/logger.ts), so the ring holds exactly what stdout got, already redacted. Bounded by
 * LOG_RING_LINES lines and, per line, by LOG_RING_LINE_CHARS characters. Lines are kept as their
 * JSON text and parsed when read: writing (on every request) costs a slot, not a parse.
 */
export class LogRing {
  private readonly slots: (Slot | undefined)[];
  private written = 0;
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(private readonly options: LogRingOptions) {
    this.slots = new Array<Slot | undefined>(options.lines);
  }

  get capacity(): number {
    return this.options.lines;
  }

  /** Lines currently kept. */
  get size(): number {
    return Math.min(this.written, this.options.lines);
  }

  /** Pino's destination interface: one or more JSON lines. Never throws (it runs inside logging). */
  write(chunk: string): void {
    // Pino writes one line ending in "\n" per call; the loop only guards against a caller that batches.
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf("\n", start);
      const end = newline === -1 ? chunk.length : newline;
      const text = chunk.slice(start, end);
      start = end + 1;
      if (text.length === 0) continue;
      const seq = ++this.written;
      const slot: Slot =
        text.length <= this.options.lineChars ? { seq, text } : { seq, line: this.cut(seq, text) };
      this.slots[(seq - 1) % this.options.lines] = slot;
      if (this.listeners.size === 0) continue;
      const line = lineOf(slot);
      for (const listener of this.listeners) {
        try {
          listener(line);
        } catch {
          // A listener's failure must not reach the code that logged.
        }
      }
    }
  }

  /** The newest `limit` lines that pass the filter, newest first. */
  recent(filter: LogFilter, limit: number): LogLine[] {
    const found: LogLine[] = [];
    const oldest = Math.max(1, this.written - this.options.lines + 1);
    for (let seq = this.written; seq >= oldest && found.length < limit; seq--) {
      const slot = this.slots[(seq - 1) % this.options.lines];
      if (slot === undefined) continue;
      const line = lineOf(slot);
      if (matchesLogFilter(line, filter)) found.push(line);
    }
    return found;
  }

  /** Calls `listener` with each new line (for live follow); returns the unsubscribe. */
  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** A line too long to keep whole: its time, level, the start of its message and of its fields. */
  private cut(seq: number, text: string): LogLine {
    const budget = this.options.lineChars;
    const whole = parseLine(seq, text);
    const msg = whole.msg.length > budget / 2 ? `${whole.msg.slice(0, Math.floor(budget / 2))}…` : whole.msg;
    const fieldsText = JSON.stringify(whole.fields);
    const left = Math.max(0, budget - msg.length - whole.time.length - whole.level.length);
    return {
      ...whole,
      msg,
      fields: { truncated: `${fieldsText.slice(0, left)}…`, chars: text.length },
      truncated: true,
    };
  }
}

function lineOf(slot: Slot): LogLine {
  return "line" in slot ? slot.line : parseLine(slot.seq, slot.text);
}

/** A pino JSON line; a line that is not JSON (never written by pino) becomes its message. */
export function parseLine(seq: number, text: string): LogLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { seq, time: "", level: "info", msg: text, fields: {}, truncated: false };
  }
  const record = value as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) if (!OMITTED.has(key)) fields[key] = field;
  return {
    seq,
    time: typeof record.time === "string" ? record.time : "",
    level: typeof record.level === "string" ? record.level : String(record.level ?? "info"),
    msg: typeof record.msg === "string" ? record.msg : "",
    fields,
    truncated: false,
  };
}

/** The numeric level of a line's level label (an unknown label counts as info). */
export function levelValue(level: string): number {
  return Object.hasOwn(LOG_LEVELS, level) ? LOG_LEVELS[level as LogLevelName] : LOG_LEVELS.info;
}

export function matchesLogFilter(line: LogLine, filter: LogFilter): boolean {
  if (filter.level !== undefined && levelValue(line.level) < LOG_LEVELS[filter.level]) return false;
  if (filter.text !== undefined && filter.text !== "") {
    const needle = filter.text.toLowerCase();
    if (!line.msg.toLowerCase().includes(needle) && !fieldsJson(line).toLowerCase().includes(needle)) {
      return false;
    }
  }
  return true;
}

/** The line's other fields as JSON text ("" when it has none). */
export function fieldsJson(line: LogLine): string {
  return Object.keys(line.fields).length === 0 ? "" : JSON.stringify(line.fields);
}
