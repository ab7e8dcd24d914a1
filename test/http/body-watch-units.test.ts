import { afterEach, describe, expect, test } from "bun:test";
import { BodyDeadlineError, BodyWatch, markBodyRead, whileBodyArrives } from "../../src/http/body-watch.ts";

/** A request with a body, and a stand-in for Bun's server that knows which address sent it. */
const peers = new WeakMap<Request, string>();
let lookups = 0;
const server = {
  requestIP(request: Request) {
    lookups++;
    const address = peers.get(request);
    return address === undefined ? null : { address };
  },
};
function from(address: string): Request {
  const request = new Request("http://127.0.0.1/mcp/x", {
    method: "POST",
    headers: { "content-length": "10" },
    body: "0123456789",
  });
  peers.set(request, address);
  return request;
}

const watches: BodyWatch[] = [];
function watch(options: { perIp: number; max?: number; timeoutMs?: number }): BodyWatch {
  const created = new BodyWatch({
    timeoutMs: options.timeoutMs ?? 60_000,
    maxIncomplete: options.max ?? 1000,
    maxIncompletePerIp: options.perIp,
    trustedProxies: [],
  });
  watches.push(created);
  return created;
}
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
  lookups = 0;
});

const ok = new Response("ok");

describe("BodyWatch.admit: the per-IP cap", () => {
  test("the next request from an address at its cap is refused 503; another address is admitted", () => {
    const w = watch({ perIp: 2 });
    const held = [from("203.0.113.1"), from("203.0.113.1")];
    for (const r of held) expect(w.admit(r, server)).toBeUndefined();
    const refused = w.admit(from("203.0.113.1"), server);
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get("connection")).toBe("close");
    expect(w.admit(from("203.0.113.2"), server)).toBeUndefined();
    // One of the address's requests answered: it may send another.
    w.settle(held[0] as Request, ok.clone());
    expect(w.admit(from("203.0.113.1"), server)).toBeUndefined();
  });

  test("fewer pending requests than the per-IP cap: no address is looked up", () => {
    const w = watch({ perIp: 3 });
    for (let i = 0; i < 3; i++) expect(w.admit(from("203.0.113.1"), server)).toBeUndefined();
    expect(lookups).toBe(0);
    expect(w.admit(from("203.0.113.1"), server)?.status).toBe(503);
    expect(lookups).toBeGreaterThan(0);
  });

  test("counts stay right when the per-IP counting stops (few pending) and starts again", () => {
    const w = watch({ perIp: 4 });
    const first = [1, 2, 3, 4].map(() => from("198.51.100.7"));
    for (const r of first) expect(w.admit(r, server)).toBeUndefined();
    expect(w.admit(from("198.51.100.7"), server)?.status).toBe(503); // counting starts here
    for (const r of first.slice(0, 3)) w.settle(r, ok.clone()); // one left: counting stops
    expect(w.size).toBe(1);
    for (let i = 0; i < 3; i++) expect(w.admit(from("198.51.100.7"), server)).toBeUndefined();
    expect(w.admit(from("198.51.100.7"), server)?.status).toBe(503);
    expect(w.admit(from("198.51.100.8"), server)).toBeUndefined();
  });

  test("a request without a body is never tracked nor refused", () => {
    const w = watch({ perIp: 1, max: 1 });
    expect(w.admit(from("203.0.113.1"), server)).toBeUndefined();
    const get = new Request("http://127.0.0.1/mcp/x");
    peers.set(get, "203.0.113.1");
    expect(w.admit(get, server)).toBeUndefined();
    expect(w.size).toBe(1);
  });
});

describe("BodyWatch: reads and answers of admitted requests", () => {
  test("a body read still pending at the deadline fails with a 408 that closes the connection", async () => {
    const w = watch({ perIp: 10, timeoutMs: 100 });
    const request = from("203.0.113.1");
    expect(w.admit(request, server)).toBeUndefined();
    const never = new Promise<string>(() => {});
    const error = await whileBodyArrives(request, never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyDeadlineError);
    const response = (error as BodyDeadlineError).response;
    expect(response.status).toBe(408);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.text()).toContain("HTTP_BODY_TIMEOUT_MS");
    expect(w.size).toBe(0);
  });

  test("a body read that completes marks the body read: the answer keeps the connection", async () => {
    const w = watch({ perIp: 10 });
    const request = from("203.0.113.1");
    w.admit(request, server);
    expect(await whileBodyArrives(request, request.text(), true)).toBe("0123456789");
    expect(w.size).toBe(0);
    const answer = new Response("ok");
    w.settle(request, answer);
    expect(answer.headers.get("connection")).toBeNull();
  });

  test("an answer given before the body was read closes the connection", () => {
    const w = watch({ perIp: 10 });
    const request = from("203.0.113.1");
    w.admit(request, server);
    const answer = new Response("no", { status: 401 });
    w.settle(request, answer);
    expect(answer.headers.get("connection")).toBe("close");
    expect(w.size).toBe(0);
  });

  test("markBodyRead and reads of requests that were never admitted change nothing", async () => {
    const request = from("203.0.113.1");
    markBodyRead(request);
    expect(await whileBodyArrives(request, Promise.resolve("x"), true)).toBe("x");
  });
});
