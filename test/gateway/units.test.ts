import { describe, expect, test } from "bun:test";
import { MemorySessionStore } from "../../src/gateway/sessions.ts";
import { withSseKeepAlive } from "../../src/gateway/sse-keepalive.ts";
import { backendUrlProblem } from "../../src/gateway/url-guard.ts";
import { FakeClock } from "../support/clock.ts";

describe("session owners", () => {
  test("sliding TTL and size bound", () => {
    const clock = new FakeClock();
    const store = new MemorySessionStore(clock, 1000, 2);
    store.set("s", "a", { owner: "u1" });
    clock.advance(900);
    expect(store.get("s", "a")?.owner).toBe("u1"); // slides
    clock.advance(900);
    expect(store.get("s", "a")?.owner).toBe("u1");
    clock.advance(1001);
    expect(store.get("s", "a")).toBeUndefined();
    store.set("s", "1", { owner: "x" });
    store.set("s", "2", { owner: "x" });
    store.set("s", "3", { owner: "x" });
    expect(store.get("s", "1")).toBeUndefined();
    expect(store.get("s", "3")?.owner).toBe("x");
    expect(store.get("other", "3")).toBeUndefined(); // per server
  });
});

describe("backend URL guard", () => {
  test("http/https only, no metadata or link-local addresses, loopback allowed", () => {
    expect(backendUrlProblem("http://127.0.0.1:8080/mcp")).toBeUndefined();
    expect(backendUrlProblem("https://mcp.example.com/mcp")).toBeUndefined();
    expect(backendUrlProblem("http://[::1]:3000/mcp")).toBeUndefined();
    for (const bad of [
      "file:///etc/passwd",
      "gopher://x",
      "http://169.254.169.254/latest/meta-data",
      "http://169.254.170.2/v2/credentials",
      "http://[fd00:ec2::254]/",
      "http://metadata.google.internal/computeMetadata/v1/",
      "http://METADATA.GOOGLE.INTERNAL./",
      "http://[fe80::1]/",
      "http://[::ffff:169.254.169.254]/",
      "http://user:pass@127.0.0.1/",
      "nonsense",
    ]) {
      expect(backendUrlProblem(bad)).toBeString();
    }
  });
});

describe("SSE keep-alive", () => {
  test("passes events through unchanged and ends cleanly when the source fails", async () => {
    const encoder = new TextEncoder();
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        controllerRef = c;
        c.enqueue(encoder.encode('event: message\ndata: {"a":1}\n\n'));
        c.enqueue(encoder.encode("data: par"));
      },
    });
    const reader = withSseKeepAlive(source, 60_000).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('event: message\ndata: {"a":1}\n\n');
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe("data: par");
    controllerRef?.error(new Error("backend died"));
    const end = await reader.read();
    expect(end.done).toBe(true);
  });
});
