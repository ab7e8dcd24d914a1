import type { JsonRpcId } from "./legacy-sse/messages.ts";
import { PROXIED_CSP } from "./upstream-response.ts";

/**
 * A JSON-RPC error response with its HTTP status (MCP clients parse these bodies). Sandboxed like
 * every answer on the MCP paths, so the browser treats the whole path the same way.
 */
export function rpcError(
  status: number,
  id: JsonRpcId | null,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: "2.0", id, error: { code, message } },
    {
      status,
      headers: {
        "Cache-Control": "no-store",
        "Content-Security-Policy": PROXIED_CSP,
        "X-Content-Type-Options": "nosniff",
        ...headers,
      },
    },
  );
}
