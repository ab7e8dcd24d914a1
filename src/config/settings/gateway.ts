import { int } from "./kinds.ts";

/** Settings of the MCP gateway (src/gateway). */
export const gatewaySettings = {
  upstreamTimeoutMs: int(
    "MCP_UPSTREAM_TIMEOUT_MS",
    30000,
    100,
    600000,
    "Default time to the first byte of a backend's answer, in ms (a server's own timeout wins).",
  ),
};
