import { SseFeed } from "../../http/sse-feed.ts";
import type { ActivityDispatcher } from "./dispatcher.ts";
import { type ActivityFilter, matchesFilter } from "./store.ts";
import type { McpActivity } from "./types.ts";

export interface ActivityStreamOptions {
  keepAliveMs: number;
  /** Events waiting for one slow reader; more are skipped for that reader. */
  backlog: number;
}

/**
 * The SSE feed of `GET /admin/api/mcp-activity/stream` (and the admin's live activity page): each
 * new row that passes the filter as an `activity` event whose data is `render(row)` as JSON.
 */
export class ActivityStreams {
  private readonly feed: SseFeed<McpActivity>;

  constructor(dispatcher: ActivityDispatcher, options: ActivityStreamOptions) {
    this.feed = new SseFeed((listener) => dispatcher.subscribe(listener), {
      ...options,
      opening: "mcp activity",
    });
  }

  get count(): number {
    return this.feed.count;
  }

  respond(request: Request, filter: ActivityFilter, render: (row: McpActivity) => unknown): Response {
    return this.feed.respond(request, (row) =>
      matchesFilter(row, filter) ? `event: activity\ndata: ${JSON.stringify(render(row))}\n\n` : undefined,
    );
  }

  closeAll(): void {
    this.feed.closeAll();
  }
}
