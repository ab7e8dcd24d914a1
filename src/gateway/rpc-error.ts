import type { JsonRpcId } from "./legacy-sse/messages.ts";

/** A JSON-RPC error response with its HTTP status (MCP clients parse these bodies). */
export function rpcError(
  status: number,
  id: JsonRpcId | null,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: "2.0", id, error: { code, message } },
    { status, headers: { "Cache-Control": "no-store", ...headers } },
  );
}
