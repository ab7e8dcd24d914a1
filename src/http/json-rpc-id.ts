/** The id of a single JSON-RPC request in `body`, or null (notification, batch, not JSON). */
export function jsonRpcRequestId(body: string): string | number | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && "id" in parsed) {
      const id = (parsed as { id: unknown }).id;
      if (typeof id === "string" || typeof id === "number") return id;
    }
  } catch {
    return null;
  }
  return null;
}
