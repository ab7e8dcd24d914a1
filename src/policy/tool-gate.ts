import type { JsonRpcId } from "../gateway/legacy-sse/messages.ts";
import { rpcError } from "../gateway/rpc-error.ts";
import { isEventStream } from "../http/event-stream.ts";

export type ToolAllowed = (tool: string) => boolean;

/** A tools/list request on its way to the backend, and the rule its answer is filtered with. */
export interface ListedRequest {
  id: JsonRpcId;
  allowed: ToolAllowed;
  /** Sees the whole list before it is filtered (tool-definition pinning: src/audit/pinning). */
  review?: (tools: readonly unknown[]) => void;
}

/** Why a call the user may make is refused anyway (tool-definition pinning), or undefined. */
export type ToolRefusal = (tool: string) => string | undefined;

/** What the proxy does with a POST on a server with tool rules for this user, or with pinning on. */
export type ToolRequestVerdict =
  /** Not a tool request: forwarded untouched. */
  | { kind: "pass" }
  /** tools/list: forwarded, and the tools the user may not call are removed from the answer. */
  | { kind: "list"; id: JsonRpcId }
  /** Answered here; the backend never sees the request. */
  | { kind: "refuse"; response: Response };

/** JSON-RPC "Invalid params", as MCP servers answer a call of a tool they do not have. */
const INVALID_PARAMS = -32602;

/**
 * Reads a request body for the tool rules. A denied `tools/call` is answered with a JSON-RPC
 * error (HTTP 200, the request's id) like a backend answers an unknown tool, without naming
 * whether the tool exists. Batches (no longer part of MCP since 2025-06-18) that carry a tool
 * request are refused whole rather than split.
 */
export function inspectToolRequest(
  body: string | undefined,
  allowed: ToolAllowed,
  refusal?: ToolRefusal,
): ToolRequestVerdict {
  if (body === undefined) return PASS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return PASS; // the backend answers a parse error
  }
  if (Array.isArray(parsed)) {
    if (!parsed.some((m) => toolMethod(m) !== undefined)) return PASS;
    return {
      kind: "refuse",
      response: rpcError(400, null, -32600, "Batches with tool requests are not accepted on this server"),
    };
  }
  const method = toolMethod(parsed);
  if (method === undefined) return PASS;
  const message = parsed as { id?: unknown; params?: unknown };
  const id = typeof message.id === "string" || typeof message.id === "number" ? message.id : undefined;
  if (method === "tools/list") return id === undefined ? PASS : { kind: "list", id };
  const params = message.params;
  const name =
    params !== null && typeof params === "object" ? (params as { name?: unknown }).name : undefined;
  if (typeof name === "string" && allowed(name)) {
    // Only a tool the user may call is named as blocked by pinning: the others stay unnamed.
    const reason = refusal?.(name);
    if (reason === undefined) return PASS;
    if (id === undefined) return { kind: "refuse", response: new Response(null, { status: 202 }) };
    return { kind: "refuse", response: rpcError(200, id, INVALID_PARAMS, reason) };
  }
  if (id === undefined) return { kind: "refuse", response: new Response(null, { status: 202 }) };
  return {
    kind: "refuse",
    response: rpcError(
      200,
      id,
      INVALID_PARAMS,
      typeof name === "string" ? "This tool is not available to you" : "params.name: expected a tool name",
    ),
  };
}

const PASS: ToolRequestVerdict = { kind: "pass" };

function toolMethod(message: unknown): "tools/list" | "tools/call" | undefined {
  if (message === null || typeof message !== "object") return undefined;
  const method = (message as { method?: unknown }).method;
  return method === "tools/list" || method === "tools/call" ? method : undefined;
}

/** Removes the tools `allowed` refuses from the answer to request `id`, if `message` is that answer. */
function filterMessage(message: unknown, listed: ListedRequest): boolean {
  const { id, allowed } = listed;
  if (message === null || typeof message !== "object") return false;
  const { id: answered, result } = message as { id?: unknown; result?: unknown };
  if (answered !== id || result === null || typeof result !== "object") return false;
  const tools = (result as { tools?: unknown }).tools;
  if (!Array.isArray(tools)) return false;
  listed.review?.(tools);
  (result as { tools: unknown[] }).tools = tools.filter((tool: unknown) => {
    const name = tool !== null && typeof tool === "object" ? (tool as { name?: unknown }).name : undefined;
    return typeof name === "string" && allowed(name);
  });
  return true;
}

/**
 * The backend's answer to a tools/list with the tools the user may not call removed: a JSON body
 * is read whole (at most `maxBytes`), an SSE stream is rewritten event by event (each at most
 * `maxBytes`), every other event untouched. `headers` are the answer's, already confined.
 * `review` sees the whole list first (tool-definition pinning).
 */
export async function filterToolsList(
  upstream: Response,
  id: JsonRpcId,
  allowed: ToolAllowed,
  maxBytes: number,
  review?: ListedRequest["review"],
): Promise<Response> {
  const listed: ListedRequest = { id, allowed, review };
  const headers = upstream.headers;
  const encoding = headers.get("content-encoding");
  if (upstream.body === null) return upstream;
  if (encoding !== null && encoding.toLowerCase() !== "identity") {
    await upstream.body.cancel().catch(() => {});
    return rpcError(502, id, -32000, "Backend answered tools/list compressed; it could not be filtered");
  }
  headers.delete("content-length");
  if (isEventStream(headers.get("content-type"))) {
    headers.set("Cache-Control", "no-cache");
    headers.set("X-Accel-Buffering", "no");
    return new Response(upstream.body.pipeThrough(sseToolsFilter(listed, maxBytes)), {
      status: upstream.status,
      headers,
    });
  }
  const text = await readAtMost(upstream.body, maxBytes);
  if (text === undefined) {
    return rpcError(502, id, -32000, `Backend's tools/list answer is larger than ${maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return rpcError(502, id, -32000, "Backend answered tools/list with invalid JSON");
  }
  const changed = Array.isArray(parsed)
    ? parsed.map((m) => filterMessage(m, listed)).some(Boolean)
    : filterMessage(parsed, listed);
  return new Response(changed ? JSON.stringify(parsed) : text, { status: upstream.status, headers });
}

async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

/**
 * Rewrites the SSE event that answers `id` (its `data` lines joined, as the SSE format defines);
 * every other event passes byte for byte. An event longer than `maxBytes` ends the stream with an
 * error rather than pass unfiltered.
 */
function sseToolsFilter(listed: ListedRequest, maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  const rewrite = (event: string): string => {
    const lines = event.split(/\r\n|\n|\r/);
    const data = lines
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(l.startsWith("data: ") ? 6 : 5));
    if (data.length === 0) return event;
    let message: unknown;
    try {
      message = JSON.parse(data.join("\n"));
    } catch {
      return event;
    }
    if (!filterMessage(message, listed)) return event;
    const others = lines.filter((l) => !l.startsWith("data:"));
    return [...others, `data: ${JSON.stringify(message)}`].join("\n");
  };
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      let out = "";
      for (let match = EVENT_END.exec(pending); match !== null; match = EVENT_END.exec(pending)) {
        out += rewrite(pending.slice(0, match.index)) + match[0];
        pending = pending.slice(match.index + match[0].length);
      }
      if (pending.length > maxBytes) {
        controller.error(new Error(`an SSE event of the tools/list answer is larger than ${maxBytes} bytes`));
        return;
      }
      if (out.length > 0) controller.enqueue(encoder.encode(out));
    },
    flush(controller) {
      pending += decoder.decode();
      if (pending.length > 0) controller.enqueue(encoder.encode(rewrite(pending)));
    },
  });
}
