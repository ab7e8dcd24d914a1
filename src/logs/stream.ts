import { SseFeed } from "../http/sse-feed.ts";
import { type LogFilter, type LogLine, type LogRing, matchesLogFilter } from "./ring.ts";

export interface LogStreamOptions {
  keepAliveMs: number;
  /** Lines waiting for one slow reader (LOG_STREAM_BACKLOG); more are skipped for that reader. */
  backlog: number;
}

/**
 * The live application log as SSE (`GET /admin/api/logs/stream`, `/admin/logs/stream`): each new
 * line that passes the filter as a `log` event (its `id` the line's place in the ring) whose data is
 * `render(line)` as JSON. All end on `closeAll` (shutdown: `start` calls it before it waits for
 * open requests).
 */
export class LogStreams {
  private readonly feed: SseFeed<LogLine>;

  constructor(ring: LogRing, options: LogStreamOptions) {
    this.feed = new SseFeed((listener) => ring.subscribe(listener), {
      ...options,
      opening: "application log",
    });
  }

  get count(): number {
    return this.feed.count;
  }

  respond(request: Request, filter: LogFilter, render: (line: LogLine) => unknown): Response {
    return this.feed.respond(request, (line) =>
      matchesLogFilter(line, filter)
        ? `id: ${line.seq}\nevent: log\ndata: ${JSON.stringify(render(line))}\n\n`
        : undefined,
    );
  }

  closeAll(): void {
    this.feed.closeAll();
  }
}
