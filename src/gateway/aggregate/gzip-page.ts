import { constants, crc32, deflateRawSync } from "node:zlib";

/**
 * A large answer body that is the same for every request but for a short prefix (the JSON-RPC id):
 * compressed once, then sent gzip-encoded to each request with its own prefix spliced in, without
 * compressing it again. Why: a warm aggregated `tools/list` costs what its bytes cost (a thousand
 * tools are about 200 KB); sent compressed, the gateway writes a tenth of them per request.
 *
 * The answer is one ordinary gzip member (RFC 1952), so every decoder reads it: the prefix goes
 * in a stored deflate block, then the cached deflate blocks of the constant part (ended with a sync
 * flush, so they end on a byte boundary and none of them is final), then an empty final stored
 * block (RFC 1951 §3.2.4). The CRC-32 of prefix + constant part is combined from the two CRCs
 * (zlib's crc32_combine), so the constant part is never read again.
 */
export class GzipSplicedBody {
  private readonly deflated: Uint8Array<ArrayBuffer>;
  private readonly crc: number;
  private readonly length: number;
  /** x^(8·length) mod the CRC polynomial: shifts a prefix's CRC past the constant part. */
  private readonly shift: number;

  constructor(constant: Uint8Array) {
    this.deflated = new Uint8Array(deflateRawSync(constant, { finishFlush: constants.Z_SYNC_FLUSH }));
    this.crc = crc32(constant);
    this.length = constant.byteLength;
    this.shift = x2nmodp(this.length, 3);
  }

  /** Bytes of the compressed constant part (what each answer carries besides its prefix). */
  get compressedBytes(): number {
    return this.deflated.byteLength;
  }

  /** The gzip body of `prefix` (at most 65,535 bytes) followed by the constant part. */
  withPrefix(prefix: Uint8Array<ArrayBuffer>): Blob {
    if (prefix.byteLength > 0xffff) throw new RangeError("prefix longer than one stored block");
    const stored = new Uint8Array(5);
    stored[0] = 0; // BFINAL 0, BTYPE 00 (stored), already byte-aligned after the header
    writeUint16(stored, 1, prefix.byteLength);
    writeUint16(stored, 3, ~prefix.byteLength & 0xffff);
    const trailer = new Uint8Array(8);
    const crc = (multmodp(this.shift, crc32(prefix)) ^ this.crc) >>> 0;
    writeUint32(trailer, 0, crc);
    writeUint32(trailer, 4, (prefix.byteLength + this.length) >>> 0);
    return new Blob([GZIP_HEADER, stored, prefix, this.deflated, FINAL_EMPTY_BLOCK, trailer]);
  }
}

/** One serialised `tools/list` page, and its compressed form once a client asked for one. */
export class EncodedPage {
  private spliced: GzipSplicedBody | undefined;

  constructor(readonly json: Uint8Array<ArrayBuffer>) {}

  /** The page and the envelope's closing brace, compressed once, for `withPrefix`. */
  gzip(): GzipSplicedBody {
    if (this.spliced === undefined) {
      const constant = new Uint8Array(this.json.byteLength + 1);
      constant.set(this.json);
      constant[this.json.byteLength] = 0x7d; // "}"
      this.spliced = new GzipSplicedBody(constant);
    }
    return this.spliced;
  }
}

/** True when the client takes a gzip-encoded answer (`Accept-Encoding`, RFC 9110 §12.5.3). */
export function acceptsGzip(header: string | null): boolean {
  if (header === null) return false;
  for (const part of header.split(",")) {
    const [coding, ...parameters] = part.split(";");
    const name = coding?.trim().toLowerCase();
    if (name !== "gzip" && name !== "x-gzip") continue;
    const q = parameters.map((x) => x.trim().toLowerCase()).find((x) => x.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Member header: deflate, no flags, no time, no extra flags, OS unknown. */
const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty stored block with BFINAL set: the end of the deflate stream. */
const FINAL_EMPTY_BLOCK = new Uint8Array([1, 0, 0, 0xff, 0xff]);

function writeUint16(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  writeUint16(out, at, value & 0xffff);
  writeUint16(out, at + 2, value >>> 16);
}

// CRC-32 arithmetic modulo the reflected polynomial, as zlib's crc32.c (multmodp, x2nmodp).
const POLY = 0xedb88320;

/** a·b modulo the polynomial (bit-reflected, x^0 in the top bit). */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let x = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= x;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    x = x & 1 ? (x >>> 1) ^ POLY : x >>> 1;
  }
  return p >>> 0;
}

/** x^(n·2^k) modulo the polynomial. */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let rest = n;
  let bit = k;
  while (rest > 0) {
    if (rest % 2 === 1) p = multmodp(X2N[bit & 31] as number, p);
    rest = Math.floor(rest / 2);
    bit++;
  }
  return p;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: readonly number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  table.push(p);
  for (let k = 1; k < 32; k++) {
    p = multmodp(p, p);
    table.push(p);
  }
  return table;
})();
