import type { McpActivity } from "../../src/audit/activity/types.ts";

/** An MCP activity row (a tools/call of "echo" on "notes", ok), for tests that record or store rows themselves. */
export function activityRow(fields: Partial<McpActivity> = {}): McpActivity {
  return {
    at: 0,
    userId: null,
    clientId: null,
    server: "notes",
    endpoint: "server",
    sessionId: null,
    method: "tools/call",
    target: "echo",
    outcome: "ok",
    httpStatus: 200,
    rpcErrorCode: null,
    latencyMs: 1,
    requestBytes: 10,
    responseBytes: null,
    ip: null,
    ...fields,
  };
}
