import type { AuditProbe } from "../scan/probe.ts";
import { answered, rpcMessage } from "../scan/probe.ts";
import type { PinnedKind } from "./definitions.ts";

const LISTS: readonly { kind: PinnedKind; method: string; field: string }[] = [
  { kind: "tool", method: "tools/list", field: "tools" },
  { kind: "prompt", method: "prompts/list", field: "prompts" },
  { kind: "resource_template", method: "resources/templates/list", field: "resourceTemplates" },
];
const MAX_PAGES = 20;
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

export type CurrentDefinitions = Partial<Record<PinnedKind, unknown[]>>;

/**
 * The tools, prompts and resource templates a Streamable HTTP backend lists now, asked with the
 * gateway's own backend credential (one session, closed after). A list the server does not offer
 * (method not found) is left out; a server that does not answer `initialize` is an error.
 */
export async function fetchCurrentDefinitions(
  probe: AuditProbe,
  url: string,
  headers: Record<string, string>,
): Promise<CurrentDefinitions> {
  const post = (body: unknown, extra: Record<string, string> = {}) =>
    probe.send({
      method: "POST",
      url,
      headers: { ...MCP_HEADERS, ...headers, ...extra },
      body: JSON.stringify(body),
    });
  const initialize = await post({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "authmcp-gateway-pinning", version: "1" },
    },
  });
  if (!answered(initialize)) {
    throw new Error(initialize.error ?? `initialize answered HTTP ${initialize.status}`);
  }
  const sessionId = initialize.headers["mcp-session-id"];
  const session: Record<string, string> = sessionId ? { "mcp-session-id": sessionId } : {};
  await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session);
  const current: CurrentDefinitions = {};
  for (const { kind, method, field } of LISTS) {
    const items: unknown[] = [];
    let cursor: string | undefined;
    let listed = false;
    for (let page = 0; page < MAX_PAGES; page++) {
      const exchange = await post(
        { jsonrpc: "2.0", id: 2, method, params: cursor ? { cursor } : {} },
        session,
      );
      if (!answered(exchange)) break;
      listed = true;
      const result = rpcMessage(exchange)?.result as Record<string, unknown> | undefined;
      const list = result?.[field];
      if (Array.isArray(list)) items.push(...list);
      if (typeof result?.nextCursor !== "string" || result.nextCursor === "") break;
      cursor = result.nextCursor;
    }
    if (listed) current[kind] = items;
  }
  if (sessionId) await probe.send({ method: "DELETE", url, headers: { ...headers, ...session } });
  return current;
}
