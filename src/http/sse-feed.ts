const encoder = new TextEncoder();
const KEEPALIVE = encoder.encode(": keep-alive\n\n");

export interface SseFeedOptions {
  keepAliveMs: number;
  /** Events waiting for one slow reader; more are skipped for that reader. */
  backlog: number;
  /** The comment each stream opens with: the client sees the stream is live before the first event. */
  opening: string;
}

/**
 * Live SSE streams of one in-process feed (the MCP activity, the application log): each item the
 * feed publishes goes to every open stream as the event `format` makes of it (undefined: not for
 * this stream), a comment every `keepAliveMs` while quiet. A reader too far behind misses events
 * rather than growing the gateway's memory. A stream ends when its client goes away (its
 * request's signal) and all end on `closeAll` (shutdown).
 */
export class SseFeed<T> {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly subscribe: (listener: (item: T) => void) => () => void,
    private readonly options: SseFeedOptions,
  ) {}

  /** Streams open now. */
  get count(): number {
    return this.open.size;
  }

  respond(request: Request, format: (item: T) => string | undefined): Response {
    let end = () => {};
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          let ended = false;
          // May run inside the publisher (the logger's write): it only enqueues, never logs.
          const unsubscribe = this.subscribe((item) => {
            if ((controller.desiredSize ?? 0) <= 0) return;
            const event = format(item);
            if (event !== undefined) controller.enqueue(encoder.encode(event));
          });
          const keepAlive = setInterval(() => {
            if ((controller.desiredSize ?? 0) > 0) controller.enqueue(KEEPALIVE);
          }, this.options.keepAliveMs);
          end = () => {
            if (ended) return;
            ended = true;
            unsubscribe();
            clearInterval(keepAlive);
            this.open.delete(end);
            request.signal.removeEventListener("abort", end);
            try {
              controller.close();
            } catch {
              // already closed or cancelled by the client
            }
          };
          this.open.add(end);
          request.signal.addEventListener("abort", end);
          controller.enqueue(encoder.encode(`: ${this.options.opening}\n\n`));
        },
        cancel: () => end(),
      },
      new CountQueuingStrategy({ highWaterMark: this.options.backlog }),
    );
    return new Response(body, {
      headers: {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
      },
    });
  }

  closeAll(): void {
    for (const end of [...this.open]) end();
  }
}
