import type { AppContext } from "../../context.ts";
import type { SessionStore } from "../../gateway/sessions.ts";
import { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import { RetentionJob } from "../retention/job.ts";
import { ActivityQueue } from "./queue.ts";
import { ActivityStore } from "./store.ts";
import { ActivityStreams } from "./stream.ts";
import { createActivityWriter } from "./writer.ts";

/** MCP activity's consumers: the stored log (when MCP_LOG_DB_ENABLED), the SSE feed, the metrics, retention. */
export interface ActivityModule {
  store: ActivityStore;
  /** Undefined when MCP_LOG_DB_ENABLED=false: rows reach only the feed and the metrics. */
  queue: ActivityQueue | undefined;
  streams: ActivityStreams;
  metrics: GatewayMetrics;
  retention: RetentionJob;
  /** Starts the periodic flush and cleanup (called by `start`); stopped on close. */
  start(): void;
}

/** Counts the gateway keeps elsewhere that `/metrics` shows (absent: not shown). */
export interface LiveCounts {
  /** Open client sessions of `/mcp`. */
  aggregateSessions?: () => number;
  /** SSE answers open to clients on `/mcp/{server}` and `/mcp`. */
  sseStreams?: () => number;
}

export function createActivityModule(
  ctx: AppContext,
  sessions: SessionStore,
  live: LiveCounts = {},
): ActivityModule {
  const { config } = ctx;
  const store = new ActivityStore(ctx.db.$client, config.activityBatchSize);
  let queue: ActivityQueue | undefined;
  if (config.mcpLogDbEnabled) {
    const writer = createActivityWriter(
      config.sqliteFile,
      config.sqliteBusyTimeoutMs,
      config.activityBatchSize,
      store,
      ctx.logger,
    );
    const q = new ActivityQueue(
      writer,
      {
        maxRows: config.activityQueueMax,
        batchSize: config.activityBatchSize,
        flushIntervalMs: config.activityFlushIntervalMs,
      },
      ctx.clock,
      ctx.logger,
    );
    const unsubscribe = ctx.activity.subscribe((row) => q.record(row));
    ctx.onClose(async () => {
      unsubscribe();
      await q.close();
    });
    queue = q;
  }
  const streams = new ActivityStreams(ctx.activity, {
    keepAliveMs: config.sseKeepAliveMs,
    backlog: config.activityStreamBacklog,
  });
  ctx.onClose(() => streams.closeAll());
  const metrics = new GatewayMetrics({
    subscribeActivity: (listener) => ctx.activity.subscribe(listener),
    subscribeSecurityEvents: (listener) => ctx.securityEvents.subscribe(listener),
    activityQueue: () => ({ depth: queue?.depth ?? 0, dropped: queue?.dropped ?? 0 }),
    serverSessions: () => sessions.size,
    aggregateSessions: live.aggregateSessions,
    sseStreams: live.sseStreams,
    activityStreams: () => streams.count,
  });
  ctx.onClose(() => metrics.close());
  const retention = new RetentionJob(ctx, store);
  return {
    store,
    queue,
    streams,
    metrics,
    retention,
    start: () => {
      queue?.start();
      ctx.onClose(retention.start());
    },
  };
}
