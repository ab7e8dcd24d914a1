import type { ActivityDispatcher } from "./dispatcher.ts";
import { type ActivityFilter, matchesFilter } from "./store.ts";
import type { McpActivity } from "./types.ts";

const encoder = new TextEncoder();
const KEEPALIVE = encoder.encode(": keep-alive\n\n");

export interface ActivityStreamOptions {
  keepAliveMs: number;
  /** Events waiting for one slow reader; more are skipped for that reader. */
  backlog: number;
}

/**
 * The SSE feed of `GET /admin/api/mcp-activity/stream`: each new row that passes the filter as an
 * `activity` event, a comment every `keepAliveMs` while quiet. A stream ends when its client goes
 * away (its request's signal) and all end on `closeAll` (shutdown).
 */
export class ActivityStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly feed: ActivityDispatcher,
    private readonly options: ActivityStreamOptions,
  ) {}

  get count(): number {
    return this.open.size;
  }

  respond(request: Request, filter: ActivityFilter, render: (row: McpActivity) => unknown): Response {
    let end = () => {};
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          let ended = false;
          const unsubscribe = this.feed.subscribe((row) => {
            if (!matchesFilter(row, filter)) return;
            // A reader this far behind misses events rather than growing the gateway's memory.
            if ((controller.desiredSize ?? 0) <= 0) return;
            controller.enqueue(encoder.encode(`event: activity\ndata: ${JSON.stringify(render(row))}\n\n`));
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
          // An opening comment: the client sees the stream is live before the first event.
          controller.enqueue(encoder.encode(": mcp activity\n\n"));
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
