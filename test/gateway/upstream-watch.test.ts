import { afterEach, describe, expect, test } from "bun:test";
import { UpstreamWatch } from "../../src/gateway/upstream-watch.ts";

const INTERVAL_MS = 10;
let watch: UpstreamWatch;

afterEach(() => watch.close());

function clientRequest(controller = new AbortController()): Request {
  return new Request("http://127.0.0.1/mcp/x", { method: "POST", body: "{}", signal: controller.signal });
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await Bun.sleep(5);
};

describe("UpstreamWatch", () => {
  test("a call still waiting at its deadline is aborted as a timeout", async () => {
    watch = new UpstreamWatch(INTERVAL_MS);
    const call = watch.start(clientRequest(), 30);
    expect(call.signal.aborted).toBe(false);
    await until(() => call.signal.aborted);
    expect(call.signal.aborted).toBe(true);
    expect(call.timedOut).toBe(true);
    expect((call.signal.reason as DOMException).name).toBe("TimeoutError");
    expect(watch.size).toBe(0);
  });

  test("a call ended before its deadline is never aborted, and the sweep stops when nothing waits", async () => {
    watch = new UpstreamWatch(INTERVAL_MS);
    const call = watch.start(clientRequest(), 30);
    expect(watch.sweeping).toBe(true);
    watch.end(call);
    await Bun.sleep(80);
    expect(call.signal.aborted).toBe(false);
    expect(call.timedOut).toBe(false);
    expect(watch.sweeping).toBe(false);
  });

  test("a client that goes away aborts its call (not as a timeout)", async () => {
    watch = new UpstreamWatch(INTERVAL_MS);
    const client = new AbortController();
    const call = watch.start(clientRequest(client), 60_000);
    const other = watch.start(clientRequest(), 60_000);
    client.abort();
    await until(() => call.signal.aborted);
    expect(call.signal.aborted).toBe(true);
    expect(call.timedOut).toBe(false);
    expect(other.signal.aborted).toBe(false);
    expect(watch.size).toBe(1);
  });

  test("each call keeps its own deadline", async () => {
    watch = new UpstreamWatch(INTERVAL_MS);
    const short = watch.start(clientRequest(), 20);
    const long = watch.start(clientRequest(), 60_000);
    await until(() => short.signal.aborted);
    expect(short.timedOut).toBe(true);
    expect(long.signal.aborted).toBe(false);
  });

  test("close aborts every waiting call and stops the sweep", () => {
    watch = new UpstreamWatch(INTERVAL_MS);
    const calls = [watch.start(clientRequest(), 60_000), watch.start(clientRequest(), 60_000)];
    watch.close();
    expect(calls.map((call) => call.signal.aborted)).toEqual([true, true]);
    expect(watch.size).toBe(0);
    expect(watch.sweeping).toBe(false);
  });
});
