import type { Logger } from "../../logger.ts";
import type { ActivitySink, McpActivity } from "./types.ts";

export type ActivityListener = (activity: McpActivity) => void;

/**
 * Hands each MCP activity row to every listener synchronously (the batched store's queue, the live
 * feed, metrics). With no listener a record costs one set iteration. A listener that throws is
 * logged and skipped: the request that produced the row never fails because of a consumer.
 */
export class ActivityDispatcher implements ActivitySink {
  private readonly listeners = new Set<ActivityListener>();

  constructor(private readonly logger: Logger) {}

  record(activity: McpActivity): void {
    for (const listener of this.listeners) {
      try {
        listener(activity);
      } catch (error) {
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          "an MCP activity listener failed",
        );
      }
    }
  }

  subscribe(listener: ActivityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
