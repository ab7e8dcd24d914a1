/** One server-sent event as the HTML living standard's parser dispatches it. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body into events (LF, CRLF or CR line ends; comments and `id` /
 * `retry` fields ignored). Ends when the body ends; throws what the body throws. A line or event
 * longer than `maxLineBytes` (a runaway or hostile backend) ends the stream with an error.
 */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  try {
    yield* parse(reader, maxLineBytes);
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function* parse(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let dataLength = 0;
  let skipLeadingLf = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      if (ch === 10 && skipLeadingLf && i === start) {
        skipLeadingLf = false;
        start = i + 1;
        continue;
      }
      skipLeadingLf = ch === 13;
      const line = buffer.slice(start, i);
      start = i + 1;
      if (line === "") {
        if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
        event = "";
        data = [];
        dataLength = 0;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") {
        data.push(value);
        dataLength += value.length + 1;
        if (dataLength > maxLineBytes) throw new Error(`an SSE event is longer than ${maxLineBytes} bytes`);
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length > maxLineBytes) throw new Error(`an SSE line is longer than ${maxLineBytes} bytes`);
  }
}
