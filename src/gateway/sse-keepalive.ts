import type { OpenStreams } from "./open-streams.ts";

const KEEPALIVE = new TextEncoder().encode(": keep-alive\n\n");
const OPENING = new TextEncoder().encode(": stream open\n\n");
const LF = 10;
const CR = 13;

/**
 * Passes an SSE body through chunk by chunk (no buffering, backpressure kept) and, while it is
 * idle for `intervalMs` at an event boundary, interleaves `: keep-alive` comments so an idle
 * timeout between the client and the gateway does not cut it. A body that fails mid-stream (the
 * backend died) ends the client's stream cleanly instead of erroring it.
 */
export function withSseKeepAlive(
  body: ReadableStream<Uint8Array>,
  intervalMs: number,
  extras: {
    /** Counts the stream while it is open (the `/metrics` gauge). */
    streams?: OpenStreams;
    /**
     * Send a comment at once: the answer's headers leave with the first bytes, and a backend's
     * GET stream may have nothing to say for a long time (the client's fetch would wait for the
     * first keep-alive).
     */
    opening?: boolean;
  } = {},
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const ended = extras.streams?.opened();
  let tail: number[] = [];
  let lastWrite = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const atBoundary = () => {
    const n = tail.length;
    if (n === 0) return true;
    if (n >= 2 && tail[n - 1] === LF && tail[n - 2] === LF) return true;
    if (n >= 2 && tail[n - 1] === CR && tail[n - 2] === CR) return true;
    return n >= 4 && tail[n - 1] === LF && tail[n - 2] === CR && tail[n - 3] === LF && tail[n - 4] === CR;
  };
  const finish = () => {
    closed = true;
    if (timer !== undefined) clearInterval(timer);
    ended?.();
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (extras.opening) controller.enqueue(OPENING);
        timer = setInterval(
          () => {
            if (closed || !atBoundary()) return;
            if (performance.now() - lastWrite < intervalMs) return;
            try {
              controller.enqueue(KEEPALIVE);
              lastWrite = performance.now();
            } catch {
              finish();
            }
          },
          Math.max(5, Math.floor(intervalMs / 2)),
        );
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            finish();
            controller.close();
            return;
          }
          if (value.byteLength === 0) return;
          tail = [...tail, ...value.subarray(Math.max(0, value.byteLength - 4))].slice(-4);
          lastWrite = performance.now();
          controller.enqueue(value);
        } catch {
          finish();
          try {
            controller.close();
          } catch {
            // already closed by a cancel
          }
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
