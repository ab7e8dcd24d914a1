import { describe, expect, test } from "bun:test";
import type { JsonRpcMessage } from "../../src/gateway/legacy-sse/messages.ts";
import { LegacySession, type MessageSink } from "../../src/gateway/legacy-sse/session.ts";
import { readSseEvents } from "../../src/gateway/legacy-sse/sse-reader.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[], max = 1024) {
  const events = [];
  for await (const event of readSseEvents(streamOf(chunks), max)) events.push(event);
  return events;
}

describe("SSE reader", () => {
  test("LF, CRLF and CR line ends, chunks split anywhere (CR|LF too), comments and multi-line data", async () => {
    const events = await collect([
      ": hello\n\nevent: endpoint\r",
      "\ndata: /messages?sessionId=1\r\n\r",
      '\ndata: {"a":\rdata: 1}\r\rdata:no-space\n',
      "id: 7\nretry: 10\n\n",
    ]);
    expect(events).toEqual([
      { event: "endpoint", data: "/messages?sessionId=1" },
      { event: "message", data: '{"a":\n1}' },
      { event: "message", data: "no-space" },
    ]);
  });

  test("an event without a blank line after it at the end of the body is not dispatched", async () => {
    expect(await collect(["data: complete\n\ndata: cut"])).toEqual([{ event: "message", data: "complete" }]);
  });

  test("a line or an event longer than the limit is an error", async () => {
    await expect(collect([`data: ${"x".repeat(200)}`], 100)).rejects.toThrow("longer than 100 bytes");
    await expect(
      collect(
        Array.from({ length: 10 }, () => `data: ${"y".repeat(20)}\n`),
        100,
      ),
    ).rejects.toThrow("longer than 100 bytes");
  });
});

class RecordingSink implements MessageSink {
  readonly messages: JsonRpcMessage[] = [];
  ended = false;
  constructor(readonly streaming = true) {}
  send(message: JsonRpcMessage) {
    this.messages.push(message);
  }
  end() {
    this.ended = true;
  }
}

const progress = (token: string | number, n: number): JsonRpcMessage => ({
  jsonrpc: "2.0",
  method: "notifications/progress",
  params: { progressToken: token, progress: n },
});
const log = (text: string): JsonRpcMessage => ({
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level: "info", data: text },
});

describe("legacy session routing", () => {
  test("answers and progress go to their own request's stream; the answer ends it; ids 1 and '1' differ", () => {
    const session = new LegacySession("s", "srv_1", "server", "user", 10, 0);
    const a = new RecordingSink();
    const b = new RecordingSink();
    session.expect(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { _meta: { progressToken: "pa" } } },
      a,
    );
    session.expect(
      { jsonrpc: "2.0", id: "1", method: "tools/call", params: { _meta: { progressToken: 9 } } },
      b,
    );
    session.deliver(progress(9, 1));
    session.deliver(progress("pa", 1));
    session.deliver({ jsonrpc: "2.0", id: "1", result: { ok: "b" } });
    session.deliver({ jsonrpc: "2.0", id: 1, result: { ok: "a" } });
    expect(a.messages).toEqual([progress("pa", 1), { jsonrpc: "2.0", id: 1, result: { ok: "a" } }]);
    expect(b.messages).toEqual([progress(9, 1), { jsonrpc: "2.0", id: "1", result: { ok: "b" } }]);
    expect(a.ended && b.ended).toBe(true);
    expect(session.hasPending(1) || session.hasPending("1")).toBe(false);
  });

  test("other messages: the request streaming now, else the GET stream, else a bounded backlog flushed to the next GET", () => {
    const session = new LegacySession("s", "srv_1", "server", "user", 2, 0);
    const json = new RecordingSink(false);
    session.expect({ jsonrpc: "2.0", id: 1, method: "tools/list" }, json);
    session.deliver(log("one"));
    session.deliver(log("two"));
    session.deliver(log("three"));
    expect(json.messages).toEqual([]);
    const get = new RecordingSink();
    expect(session.openStandalone(get)).toBe(true);
    expect(get.messages).toEqual([log("two"), log("three")]);
    expect(session.openStandalone(new RecordingSink())).toBe(false);

    const streaming = new RecordingSink();
    session.expect({ jsonrpc: "2.0", id: 2, method: "tools/call" }, streaming);
    session.deliver(log("during"));
    expect(streaming.messages).toEqual([log("during")]);
    session.forget(2);
    session.deliver(log("after"));
    expect(get.messages.at(-1)).toEqual(log("after"));
  });

  test("closing answers every waiting request with an error and ends every stream", () => {
    const session = new LegacySession("s", "srv_1", "server", "user", 10, 0);
    const waiting = new RecordingSink();
    const get = new RecordingSink();
    session.expect({ jsonrpc: "2.0", id: "x", method: "tools/call" }, waiting);
    session.openStandalone(get);
    session.close("backend went away");
    expect(waiting.messages).toEqual([
      {
        jsonrpc: "2.0",
        id: "x",
        error: { code: -32000, message: "Backend connection closed: backend went away" },
      },
    ]);
    expect(waiting.ended && get.ended && session.closed).toBe(true);
  });
});
