// The /metrics gauges of what is open right now: sessions of the aggregated /mcp next to those of
// /mcp/{server}, and the SSE answers open to clients on both endpoints.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { activityStage, rawSession, until } from "../activity/helpers.ts";
import { sdkClient } from "../gateway/helpers.ts";
import { login } from "../support/context.ts";
import { type Family, parsePrometheusText, sampleValue } from "../support/prometheus.ts";

describe("/metrics live gauges", () => {
  let s: Awaited<ReturnType<typeof activityStage>>;
  beforeAll(async () => {
    s = await activityStage();
  });
  afterAll(() => s?.stage.close());

  const scrape = async (): Promise<Map<string, Family>> => {
    const response = await s.g.request("/metrics");
    expect(response.status).toBe(200);
    return parsePrometheusText(await response.text());
  };
  const openStreams = async () => sampleValue(await scrape(), "authmcp_sse_streams_open", {});
  const aggregateSessions = async () =>
    sampleValue(await scrape(), "authmcp_mcp_sessions_active", { endpoint: "aggregate" });

  test("a backend's SSE stream passed on through /mcp/{server} is counted while it is open", async () => {
    expect((await scrape()).get("authmcp_sse_streams_open")?.type).toBe("gauge");
    const before = await openStreams();
    const session = await rawSession(s.g, s.alice);
    const reader = new AbortController();
    const stream = await fetch(session.url, {
      headers: { ...session.headers, accept: "text/event-stream" },
      signal: reader.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    // The headers came before the backend had anything to say: the gateway opens with a comment.
    const first = await (stream.body as ReadableStream<Uint8Array>).getReader().read();
    expect(new TextDecoder().decode(first.value)).toBe(": stream open\n\n");
    expect(await openStreams()).toBe(before + 1);
    reader.abort();
    await until("the stream's count ends", async () => ((await openStreams()) === before ? true : undefined));
  });

  test("sessions of /mcp are counted apart, and its standalone GET stream is an open stream", async () => {
    const sessionsBefore = await aggregateSessions();
    const streamsBefore = await openStreams();
    const token = (await login(s.g, "alice", { resource: `${s.g.ctx.config.publicUrl}/mcp` })).access_token;
    const { client, transport } = await sdkClient(`${s.g.url}/mcp`, token);
    expect(await aggregateSessions()).toBe(sessionsBefore + 1);
    // The SDK client opens the standalone GET stream after initialize.
    await until("the GET stream is counted", async () =>
      (await openStreams()) === streamsBefore + 1 ? true : undefined,
    );
    await transport.terminateSession();
    await client.close();
    expect(await aggregateSessions()).toBe(sessionsBefore);
    await until("the GET stream's count ends", async () =>
      (await openStreams()) === streamsBefore ? true : undefined,
    );
  });
});
