/** JSON-RPC 2.0 message shapes the legacy bridge needs to tell apart. */
export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc: "2.0";
  id?: JsonRpcId | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** A single JSON-RPC message, or undefined when `value` is not one (batches included). */
export function asMessage(value: unknown): JsonRpcMessage | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return undefined;
  const id = message.id;
  if (id !== undefined && id !== null && typeof id !== "string" && typeof id !== "number") return undefined;
  if (message.method !== undefined && typeof message.method !== "string") return undefined;
  if (message.method === undefined && !("result" in message) && !("error" in message)) return undefined;
  return message as unknown as JsonRpcMessage;
}

/** The JSON-RPC message in a text (a request body, an SSE event's data), or undefined when it holds none. */
export function parseMessage(text: string | undefined): JsonRpcMessage | undefined {
  if (text === undefined) return undefined;
  try {
    return asMessage(JSON.parse(text));
  } catch {
    return undefined; // not JSON
  }
}

export function isRequest(
  message: JsonRpcMessage,
): message is JsonRpcMessage & { id: JsonRpcId; method: string } {
  return message.method !== undefined && message.id !== undefined && message.id !== null;
}

export function isResponse(message: JsonRpcMessage): boolean {
  return message.method === undefined;
}

/** A map key for an id: `1` and `"1"` are different ids. */
export function idKey(id: JsonRpcId): string {
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}

/** The progress token a request asked for (`params._meta.progressToken`), if any. */
export function progressTokenOf(message: JsonRpcMessage): JsonRpcId | undefined {
  const meta = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  const token = meta?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

/** The progress token a `notifications/progress` carries, if any. */
export function progressTokenOfNotification(message: JsonRpcMessage): JsonRpcId | undefined {
  if (message.method !== "notifications/progress") return undefined;
  const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

export function errorMessage(id: JsonRpcId | null, code: number, message: string): JsonRpcMessage {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
