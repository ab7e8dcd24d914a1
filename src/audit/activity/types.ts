/**
 * The contract both MCP endpoints record their traffic through (one row per MCP request). The
 * queue, store, feed, API and metrics live beside this file; producers depend on this only.
 */
export type ActivityOutcome = "ok" | "error" | "denied" | "rate_limited";

/** Why an answer counts as an upstream error (metrics only, not stored). */
export type UpstreamError = "timeout" | "failed" | "status_5xx";

export interface McpActivity {
  /** Epoch milliseconds when the request arrived. */
  at: number;
  userId: string | null;
  clientId: string | null;
  /** The backend server's name ("" on /mcp when a request concerns no single server, e.g. initialize). */
  server: string;
  /** "server": /mcp/{server} (and its alias); "aggregate": /mcp. */
  endpoint: "server" | "aggregate";
  sessionId: string | null;
  /** JSON-RPC method, or the HTTP method for GET/DELETE and bodies that are not one request. */
  method: string;
  /** Tool name, resource URI or prompt name, when the method names one. */
  target: string | null;
  outcome: ActivityOutcome;
  httpStatus: number;
  /** The JSON-RPC error code when the answer was a JSON-RPC error and the gateway saw it. */
  rpcErrorCode: number | null;
  latencyMs: number;
  requestBytes: number;
  /** null when the answer streamed (SSE) and its size was not counted. */
  responseBytes: number | null;
  ip: string | null;
  /**
   * Set when the backend failed the request: the gateway timed out waiting ("timeout"), could not
   * use it ("failed": unreachable, refused address, credential unavailable, unusable answer), or
   * the backend answered 5xx ("status_5xx"). Absent otherwise, and from producers that do not tell.
   */
  upstreamError?: UpstreamError;
}

export interface ActivitySink {
  /** Never blocks the request and never throws (a full queue drops and counts). */
  record(activity: McpActivity): void;
}
