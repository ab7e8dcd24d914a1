/** The JSON-RPC method and the tool / prompt name or resource URI of one request body. */
export interface RpcCallFacts {
  method: string;
  target: string | null;
}

const NAMED_BY_NAME = new Set(["tools/call", "prompts/get"]);
const NAMED_BY_URI = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe"]);

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_OBJECT = 123; // {
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91; // [
const CLOSE_ARRAY = 93;

/**
 * Reads `method`, and `params.name` / `params.uri`, from the first `limit` characters of a
 * request body without parsing it: the per-server proxy passes bodies through untouched, and a
 * full parse of every body would cost the hot path what it saves. The scan follows strings and
 * nesting, so only the top-level `method` key and the keys directly inside the top-level `params`
 * count (a `"method"` inside arguments or a string does not). It stops as soon as it knows both.
 * A batch (array), a body that is not an object, or a method beyond the limit gives `fallback`
 * (the HTTP method) and no target.
 */
export function scanRpcCall(body: string, limit: number, fallback: string): RpcCallFacts {
  const end = Math.min(body.length, limit);
  let i = 0;
  while (i < end && body.charCodeAt(i) <= 32) i++;
  if (body.charCodeAt(i) !== OPEN_OBJECT) return { method: fallback, target: null };
  i++;
  let depth = 1;
  /** True when inside the top-level `params` object (depth 2). */
  let inParams = false;
  let paramsDepthOpen = false;
  let method: string | undefined;
  let name: string | undefined;
  let uri: string | undefined;
  /** The key whose value comes next, at depth 1 or directly in params. */
  let pendingKey: string | undefined;
  let expectKey = true;
  while (i < end) {
    const c = body.charCodeAt(i);
    if (c === QUOTE) {
      const close = stringEnd(body, i, end);
      if (close < 0) break;
      const raw = body.slice(i + 1, close);
      i = close + 1;
      const atKeyLevel = depth === 1 || (inParams && depth === 2);
      if (!atKeyLevel) continue;
      if (expectKey) {
        pendingKey = decode(raw);
        expectKey = false;
        continue;
      }
      const value = decode(raw);
      if (depth === 1 && pendingKey === "method") method = value;
      else if (depth === 2 && pendingKey === "name") name = value;
      else if (depth === 2 && pendingKey === "uri") uri = value;
      pendingKey = undefined;
      if (method !== undefined && (name !== undefined || uri !== undefined || !needsTarget(method))) break;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 1 && pendingKey === "params" && c === OPEN_OBJECT) {
        inParams = true;
        paramsDepthOpen = true;
      }
      depth++;
      expectKey = c === OPEN_OBJECT;
      pendingKey = undefined;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 1 && paramsDepthOpen) {
        inParams = false;
        paramsDepthOpen = false;
      }
      if (depth === 0) break;
      pendingKey = undefined;
    } else if (c === 44 /* , */) {
      expectKey = depth === 1 || (inParams && depth === 2) ? true : expectKey;
      if (depth === 1 || (inParams && depth === 2)) pendingKey = undefined;
    }
    i++;
  }
  if (method === undefined) return { method: fallback, target: null };
  const target = NAMED_BY_NAME.has(method) ? name : NAMED_BY_URI.has(method) ? uri : undefined;
  return { method, target: target ?? null };
}

function needsTarget(method: string): boolean {
  return NAMED_BY_NAME.has(method) || NAMED_BY_URI.has(method);
}

/** Index of the quote closing the string opened at `open`, or -1 when it does not close before `end`. */
function stringEnd(body: string, open: number, end: number): number {
  let i = open + 1;
  while (i < end) {
    const c = body.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i;
    else i++;
  }
  return -1;
}

function decode(raw: string): string {
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
