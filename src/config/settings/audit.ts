import { PINNING_MODES } from "../../audit/pinning/definitions.ts";
import { int, oneOf } from "./kinds.ts";

const MIB = 1024 * 1024;

/** The MCP security audit (src/audit/scan) and tool-definition pinning (src/audit/pinning). */
export const auditSettings = {
  auditRequestTimeoutMs: int(
    "AUDIT_REQUEST_TIMEOUT_MS",
    10000,
    100,
    120000,
    "Time the MCP security audit waits for each answer of the audited server (headers and body), in ms; a request that takes longer is reported as unanswered.",
  ),
  auditMaxResponseBytes: int(
    "AUDIT_MAX_RESPONSE_BYTES",
    MIB,
    1024,
    64 * MIB,
    "Largest answer, in bytes, the MCP security audit reads from the audited server; a longer answer is cut off there and reported.",
  ),
  auditDescriptionMaxChars: int(
    "AUDIT_DESCRIPTION_MAX_CHARS",
    2000,
    100,
    1000000,
    "A tool description longer than this many characters is reported by the audit (and, for new or changed tools, by pinning): long descriptions hide instructions to the model.",
  ),
  toolPinningDefaultMode: oneOf(
    "TOOL_PINNING_DEFAULT_MODE",
    PINNING_MODES,
    "off",
    "Tool-definition pinning mode of servers that have none of their own (PUT /admin/api/mcp-servers/{id}/pinning): off (nothing read), warn (a changed or new tool passes and is reported as a security event), block-changed (it is hidden from tools/list and its calls refused until approved).",
  ),
};
