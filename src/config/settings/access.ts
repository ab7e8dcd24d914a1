import { int } from "./kinds.ts";

const MIB = 1024 * 1024;

/** Who may use which server and tool (src/policy). */
export const accessSettings = {
  toolsListMaxBytes: int(
    "MCP_TOOLS_LIST_MAX_BYTES",
    8 * MIB,
    1024,
    256 * MIB,
    "Largest tools/list answer (one JSON body or one SSE event), in bytes, the gateway reads to remove the tools a user may not call; only on servers with tool rules for that user. Beyond it the call fails (502) rather than show tools unfiltered.",
  ),
};
