import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

/**
 * One page of a merged list. The cursor is opaque to clients: the offset of the next page in the
 * merged list (servers in name order, each backend's items in its order), which the catalog cache
 * keeps stable while nothing changes; after a change a client re-lists from the start anyway
 * (`list_changed`). A cursor the gateway did not issue is -32602.
 */
export function page<T>(
  items: T[],
  cursor: string | undefined,
  size: number,
): { items: T[]; nextCursor?: string } {
  const offset = cursor === undefined ? 0 : decode(cursor);
  const end = offset + size;
  const slice = items.slice(offset, end);
  return end < items.length ? { items: slice, nextCursor: encode(end) } : { items: slice };
}

function encode(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

function decode(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o?: unknown };
    if (typeof parsed.o === "number" && Number.isSafeInteger(parsed.o) && parsed.o > 0) return parsed.o;
  } catch {
    // not one of ours: refused below
  }
  throw new McpError(ErrorCode.InvalidParams, "Invalid cursor");
}
