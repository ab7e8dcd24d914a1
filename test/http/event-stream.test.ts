import { expect, test } from "bun:test";
import { acceptsEventStream, isEventStream } from "../../src/http/event-stream.ts";

test("isEventStream: the SSE media type with or without parameters, any case; nothing else", () => {
  for (const type of ["text/event-stream", "Text/Event-Stream; charset=utf-8", "text/event-stream;x=1"]) {
    expect(isEventStream(type)).toBe(true);
  }
  for (const type of [
    null,
    "",
    "application/json",
    "text/event-streams",
    "x-text/event-stream",
    " text/plain",
  ]) {
    expect(isEventStream(type)).toBe(false);
  }
});

test("acceptsEventStream: SSE anywhere in the Accept list; not a longer type name", () => {
  expect(acceptsEventStream("application/json, text/event-stream")).toBe(true);
  expect(acceptsEventStream("TEXT/EVENT-STREAM;q=0.5")).toBe(true);
  expect(acceptsEventStream("application/json")).toBe(false);
  expect(acceptsEventStream("text/event-streams")).toBe(false);
  expect(acceptsEventStream("")).toBe(false);
});
