import { isEventStream } from "../../http/event-stream.ts";

/** An answer of the gateway as the API test page shows it. */
export interface ReadAnswer {
  status: number;
  contentType: string;
  /** The JSON-RPC messages of the answer in order (one per event of an event stream). */
  messages: unknown[];
  /** The answer's text, when it is not JSON-RPC messages only (or was cut). */
  raw?: string;
  /** The answer was longer than ADMIN_API_TEST_MAX_ANSWER_BYTES and was cut there. */
  truncated: boolean;
}

/** Rejects when `signal` aborts (the call's deadline): what a step awaits races this. */
export function raced<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}

/** The data of each complete event in `buffer` (events end with a blank line), and the rest. */
function takeEvents(buffer: string): { data: string[]; rest: string } {
  const data: string[] = [];
  const parts = buffer.split(/\r\n\r\n|\n\n|\r\r/);
  const rest = parts.pop() ?? "";
  for (const event of parts) {
    const lines = event.split(/\r\n|\n|\r/).filter((line) => line.startsWith("data:"));
    if (lines.length === 0) continue; // comments (keep-alives), event ids, retry
    data.push(lines.map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n"));
  }
  return { data, rest };
}

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Whether `message` is the answer (result or error) to the request with this id. */
export function answers(message: unknown, id: number): message is Record<string, unknown> {
  if (typeof message !== "object" || message === null) return false;
  const record = message as Record<string, unknown>;
  return record.id === id && ("result" in record || "error" in record);
}

/**
 * Reads the gateway's answer to one request, at most `maxBytes` of it, until `signal` aborts. An
 * event stream is read until the answer to `id` arrived: the stream may stay open after it.
 */
export async function readAnswer(
  response: Response,
  id: number | undefined,
  maxBytes: number,
  signal: AbortSignal,
): Promise<ReadAnswer> {
  const contentType = response.headers.get("content-type") ?? "";
  const stream = isEventStream(contentType);
  const answer: ReadAnswer = { status: response.status, contentType, messages: [], truncated: false };
  if (response.body === null) return answer;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let pending = "";
  let bytes = 0;
  let unparsed = false;
  const collect = (events: string[]) => {
    for (const data of events) {
      const message = parsed(data);
      if (message.ok) answer.messages.push(message.value);
      else unparsed = true;
    }
  };
  try {
    while (true) {
      const chunk = await raced(reader.read(), signal);
      if (chunk.done) break;
      const room = maxBytes - bytes;
      const part = chunk.value.byteLength > room ? chunk.value.subarray(0, room) : chunk.value;
      bytes += part.byteLength;
      const decoded = decoder.decode(part, { stream: true });
      text += decoded;
      if (part !== chunk.value) {
        answer.truncated = true;
        break;
      }
      if (!stream) continue;
      const events = takeEvents(pending + decoded);
      pending = events.rest;
      collect(events.data);
      if (id !== undefined && answer.messages.some((message) => answers(message, id))) break;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  text += decoder.decode();
  if (stream) {
    if (!answer.truncated) collect(takeEvents(`${pending}\n\n`).data);
  } else if (text !== "") {
    const message = parsed(text);
    if (message.ok) answer.messages = Array.isArray(message.value) ? message.value : [message.value];
    else unparsed = true;
  }
  if (unparsed || answer.truncated) answer.raw = text;
  return answer;
}
