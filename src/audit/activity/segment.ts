import type { ActivityOutcome, McpActivity } from "./types.ts";

/**
 * The stored form of a batch of MCP activity rows: one segment per batch (src/db/schema/activity.ts),
 * its strings in a dictionary of its own and its columns packed in one binary blob. Storing a row
 * costs the thread that serves requests a few typed-array writes and the writer thread a share of
 * one insert per batch; an insert per row cost about 3.5 µs of CPU with its index (bench/README.md).
 *
 * The blob, little-endian, for n rows: a header (format, n as two u32), then each column whole:
 *   f64 × n: at, latency ms, request bytes, response bytes (NaN: null), JSON-RPC error code (NaN: null)
 *   i32 × n: id offset (from the segment's first id), HTTP status, then the dictionary index (−1:
 *            null) of user, client, server, session, method, target, IP
 *   u8  × n: endpoint (0 server, 1 aggregate), outcome (OUTCOMES)
 * Every column of a kind starts aligned to its width: the header is 8 bytes and the columns are
 * ordered by width.
 */
const FORMAT = 1;
const HEADER_BYTES = 8;
/** The string columns, in their order in the blob. */
export const STRING_COLUMNS = [
  "userId",
  "clientId",
  "server",
  "sessionId",
  "method",
  "target",
  "ip",
] as const;
export type StringColumn = (typeof STRING_COLUMNS)[number];
const F64_COLUMNS = 5;
const I32_COLUMNS = 2 + STRING_COLUMNS.length;
const U8_COLUMNS = 2;
const ROW_BYTES = 8 * F64_COLUMNS + 4 * I32_COLUMNS + U8_COLUMNS;

export const OUTCOMES: readonly ActivityOutcome[] = ["ok", "error", "denied", "rate_limited"];
const OUTCOME_CODE: Record<ActivityOutcome, number> = { ok: 0, error: 1, denied: 2, rate_limited: 3 };
const NULL_CODE = -1;

/** A segment ready to be stored: what the writer inserts (src/audit/activity/insert.ts). */
export interface EncodedSegment {
  /** The dictionary the blob's string columns index. */
  strings: string[];
  data: Uint8Array;
  rows: number;
  minAt: number;
  maxAt: number;
  /** The largest id offset: the segment's ids run from its first id to first id + this. */
  lastOffset: number;
  /** Rows with outcome "error", "denied", "rate_limited". */
  errors: number;
  denied: number;
  rateLimited: number;
}

/** Column views over one buffer holding `capacity` rows, in the blob's layout. */
class Columns {
  readonly at: Float64Array;
  readonly latencyMs: Float64Array;
  readonly requestBytes: Float64Array;
  readonly responseBytes: Float64Array;
  readonly rpcErrorCode: Float64Array;
  readonly idOffset: Int32Array;
  readonly httpStatus: Int32Array;
  readonly text: Record<StringColumn, Int32Array>;
  readonly endpoint: Uint8Array;
  readonly outcome: Uint8Array;

  constructor(
    readonly buffer: ArrayBuffer,
    capacity: number,
  ) {
    let offset = HEADER_BYTES;
    const f64 = () => {
      const view = new Float64Array(buffer, offset, capacity);
      offset += 8 * capacity;
      return view;
    };
    const i32 = () => {
      const view = new Int32Array(buffer, offset, capacity);
      offset += 4 * capacity;
      return view;
    };
    this.at = f64();
    this.latencyMs = f64();
    this.requestBytes = f64();
    this.responseBytes = f64();
    this.rpcErrorCode = f64();
    this.idOffset = i32();
    this.httpStatus = i32();
    const text = {} as Record<StringColumn, Int32Array>;
    for (const column of STRING_COLUMNS) text[column] = i32();
    this.text = text;
    this.endpoint = new Uint8Array(buffer, offset, capacity);
    this.outcome = new Uint8Array(buffer, offset + capacity, capacity);
  }

  /** Every column, in the blob's order. */
  all(): (Float64Array | Int32Array | Uint8Array)[] {
    return [
      this.at,
      this.latencyMs,
      this.requestBytes,
      this.responseBytes,
      this.rpcErrorCode,
      this.idOffset,
      this.httpStatus,
      ...STRING_COLUMNS.map((column) => this.text[column]),
      this.endpoint,
      this.outcome,
    ];
  }
}

function bytesFor(rows: number): number {
  return HEADER_BYTES + ROW_BYTES * rows;
}

/**
 * Builds segments row by row. `add` is what storing a row costs the request's thread: a dictionary
 * lookup per string and a write per column, no object kept.
 */
export class SegmentEncoder {
  private columns: Columns;
  private dictionary = new Map<string, number>();
  private strings: string[] = [];
  private count = 0;
  private minAt = Number.POSITIVE_INFINITY;
  private maxAt = Number.NEGATIVE_INFINITY;
  private lastOffset = 0;
  /** Rows per outcome code. */
  private outcomes = [0, 0, 0, 0];
  /** Per string column (STRING_COLUMNS' order): the last value coded and its index. */
  private readonly recentValues: (string | undefined)[] = STRING_COLUMNS.map(() => undefined);
  private readonly recentCodes = new Int32Array(STRING_COLUMNS.length);

  constructor(readonly capacity: number) {
    this.columns = new Columns(new ArrayBuffer(bytesFor(capacity)), capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends a row (the encoder must not be full); `idOffset` defaults to the row's position. */
  add(a: McpActivity, idOffset = this.count): void {
    const i = this.count++;
    const c = this.columns;
    c.at[i] = a.at;
    c.latencyMs[i] = Math.round(a.latencyMs);
    c.requestBytes[i] = a.requestBytes;
    c.responseBytes[i] = a.responseBytes ?? Number.NaN;
    c.rpcErrorCode[i] = a.rpcErrorCode ?? Number.NaN;
    c.idOffset[i] = idOffset;
    c.httpStatus[i] = a.httpStatus;
    c.text.userId[i] = this.code(0, a.userId);
    c.text.clientId[i] = this.code(1, a.clientId);
    c.text.server[i] = this.code(2, a.server);
    c.text.sessionId[i] = this.code(3, a.sessionId);
    c.text.method[i] = this.code(4, a.method);
    c.text.target[i] = this.code(5, a.target);
    c.text.ip[i] = this.code(6, a.ip);
    c.endpoint[i] = a.endpoint === "aggregate" ? 1 : 0;
    const outcome = OUTCOME_CODE[a.outcome];
    c.outcome[i] = outcome;
    if (a.at < this.minAt) this.minAt = a.at;
    if (a.at > this.maxAt) this.maxAt = a.at;
    if (idOffset > this.lastOffset) this.lastOffset = idOffset;
    this.outcomes[outcome] = (this.outcomes[outcome] as number) + 1;
  }

  /** The rows added since the last take, packed for storage (undefined when none); starts afresh. */
  take(): EncodedSegment | undefined {
    const n = this.count;
    if (n === 0) return undefined;
    const packed = new Columns(new ArrayBuffer(bytesFor(n)), n);
    new Uint32Array(packed.buffer, 0, 2).set([FORMAT, n]);
    const from = this.columns.all();
    packed.all().forEach((to, c) => {
      to.set((from[c] as typeof to).subarray(0, n));
    });
    const segment: EncodedSegment = {
      strings: this.strings,
      data: new Uint8Array(packed.buffer),
      rows: n,
      minAt: this.minAt,
      maxAt: this.maxAt,
      lastOffset: this.lastOffset,
      errors: this.outcomes[1] as number,
      denied: this.outcomes[2] as number,
      rateLimited: this.outcomes[3] as number,
    };
    this.dictionary = new Map();
    this.strings = [];
    this.count = 0;
    this.minAt = Number.POSITIVE_INFINITY;
    this.maxAt = Number.NEGATIVE_INFINITY;
    this.lastOffset = 0;
    this.outcomes = [0, 0, 0, 0];
    this.recentValues.fill(undefined);
    return segment;
  }

  /**
   * The dictionary index of a string column's value. The previous row's value of the column is
   * tried first: most rows repeat it (one session's calls), and comparing two strings is cheaper
   * than hashing one that arrived with the request (a header, a token's claim).
   */
  private code(column: number, value: string | null): number {
    if (value === null) return NULL_CODE;
    if (this.recentValues[column] === value) return this.recentCodes[column] as number;
    let code = this.dictionary.get(value);
    if (code === undefined) {
      code = this.strings.length;
      this.strings.push(value);
      this.dictionary.set(value, code);
    }
    this.recentValues[column] = value;
    this.recentCodes[column] = code;
    return code;
  }
}

/**
 * A segment's dictionary as stored: "\n" before each string's JSON and after the last. JSON has no
 * raw line break, so each line is exactly one string and a string is found (with its index) by a
 * text search, without parsing the others: a filter skips the segments that lack its value.
 */
export function dictionaryText(strings: readonly string[]): string {
  let text = "\n";
  for (const value of strings) text += `${JSON.stringify(value)}\n`;
  return text;
}

/** `value`'s line in a stored dictionary (dictionaryText), found with a text search. */
export function dictionaryLine(value: string): string {
  return `\n${JSON.stringify(value)}\n`;
}

/** Encodes rows as one segment (ids consecutive from the segment's first id unless `idOffsets` says). */
export function encodeSegment(
  rows: readonly McpActivity[],
  idOffsets?: readonly number[],
): EncodedSegment | undefined {
  const encoder = new SegmentEncoder(Math.max(rows.length, 1));
  rows.forEach((row, i) => {
    encoder.add(row, idOffsets?.[i] ?? i);
  });
  return encoder.take();
}

/** Reads a stored segment's rows. Throws on a blob this version does not know. */
export class SegmentReader {
  readonly rows: number;
  private readonly columns: Columns;
  private strings: string[] | undefined;

  constructor(
    /** The stored dictionary (dictionaryText). */
    private readonly dictionary: string,
    data: Uint8Array,
  ) {
    // The views are laid out from the start of the blob's buffer.
    const bytes = data.byteOffset === 0 ? data : data.slice();
    if (bytes.byteLength < HEADER_BYTES) throw new Error("activity segment: blob too short");
    const header = new Uint32Array(bytes.buffer, 0, 2);
    if (header[0] !== FORMAT) throw new Error(`activity segment: unknown format ${header[0]}`);
    const rows = header[1] as number;
    if (bytes.byteLength !== bytesFor(rows))
      throw new Error("activity segment: blob size does not match its rows");
    this.rows = rows;
    this.columns = new Columns(bytes.buffer as ArrayBuffer, rows);
  }

  /** The dictionary index of `value` in this segment; undefined when no row has it. */
  codeOf(value: string): number | undefined {
    const at = this.dictionary.indexOf(dictionaryLine(value));
    if (at < 0) return undefined;
    let code = 0;
    for (
      let i = this.dictionary.indexOf("\n", 1);
      i >= 0 && i <= at;
      i = this.dictionary.indexOf("\n", i + 1)
    )
      code++;
    return code;
  }

  at(i: number): number {
    return this.columns.at[i] as number;
  }

  idOffset(i: number): number {
    return this.columns.idOffset[i] as number;
  }

  outcomeCode(i: number): number {
    return this.columns.outcome[i] as number;
  }

  /** A string column's dictionary indexes (−1: null), one per row. */
  stringCodes(column: StringColumn): Int32Array {
    return this.columns.text[column];
  }

  row(i: number): McpActivity {
    const c = this.columns;
    this.strings ??=
      this.dictionary.length <= 1
        ? []
        : this.dictionary
            .slice(1, -1)
            .split("\n")
            .map((line) => JSON.parse(line) as string);
    const strings = this.strings;
    const text = (column: StringColumn) => {
      const code = c.text[column][i] as number;
      return code === NULL_CODE ? null : (strings[code] ?? null);
    };
    const nullable = (value: number) => (Number.isNaN(value) ? null : value);
    return {
      at: c.at[i] as number,
      userId: text("userId"),
      clientId: text("clientId"),
      server: text("server") ?? "",
      endpoint: c.endpoint[i] === 1 ? "aggregate" : "server",
      sessionId: text("sessionId"),
      method: text("method") ?? "",
      target: text("target"),
      outcome: OUTCOMES[c.outcome[i] as number] ?? "error",
      httpStatus: c.httpStatus[i] as number,
      rpcErrorCode: nullable(c.rpcErrorCode[i] as number),
      latencyMs: c.latencyMs[i] as number,
      requestBytes: c.requestBytes[i] as number,
      responseBytes: nullable(c.responseBytes[i] as number),
      ip: text("ip"),
    };
  }
}
