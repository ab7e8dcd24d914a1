// GET /metrics: Prometheus text that a strict parser of the format accepts, counters that move with
// the traffic that causes them, and the optional bearer token.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { activityStage, admin, rawSession } from "../activity/helpers.ts";
import { createServer, type GatewayWithUsers, postMessage, tokenFor } from "../gateway/helpers.ts";
import { jsonInit, STRONG_PASSWORD, testGateway } from "../support/context.ts";
import { type Family, parsePrometheusText, sampleValue } from "../support/prometheus.ts";

describe("the test's parser is strict", () => {
  test("it refuses what Prometheus refuses", () => {
    const bad = [
      "x 1", // no final newline
      '# TYPE x counter\nx{a="1"} one\n',
      "# TYPE x counter\nx{a=1} 1\n",
      '# TYPE x counter\nx{a="\\q"} 1\n',
      '# TYPE x counter\nx{a="1"} 1\nx{a="1"} 2\n',
      "# TYPE x counter\nx -1\n",
      "x 1\n# TYPE x counter\n",
      "# TYPE x counter\nx 1\n# TYPE y gauge\ny 1\nx 2\n",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      "# TYPE 9x counter\n",
    ];
    for (const text of bad) expect(() => parsePrometheusText(text)).toThrow();
    const good = parsePrometheusText(
      '# HELP h A \\\\ help\\n.\n# TYPE h histogram\nh_bucket{le="1",a="q\\"\\n"} 1\nh_bucket{le="+Inf",a="q\\"\\n"} 2\nh_sum{a="q\\"\\n"} 3.5\nh_count{a="q\\"\\n"} 2\n',
    );
    expect(good.get("h")?.help).toBe("A \\ help\n.");
    expect(sampleValue(good, "h_count", { a: 'q"\n' })).toBe(2);
  });
});

describe("GET /metrics", () => {
  let s: Awaited<ReturnType<typeof activityStage>>;
  let stage: GatewayWithUsers;
  beforeAll(async () => {
    s = await activityStage();
    stage = s.stage;
  });
  afterAll(() => stage?.close());

  const scrape = async (): Promise<Map<string, Family>> => {
    const response = await s.g.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    return parsePrometheusText(await response.text());
  };
  const requests = (families: Map<string, Family>, method: string, outcome = "ok", server = "shared") =>
    sampleValue(families, "authmcp_mcp_requests_total", { endpoint: "server", server, method, outcome });

  test("request counters, latency histogram and sessions move with /mcp/{server} traffic", async () => {
    const before = await scrape();
    expect(before.get("authmcp_mcp_requests_total")?.type).toBe("counter");
    expect(before.get("authmcp_mcp_request_duration_seconds")?.type).toBe("histogram");
    const session = await rawSession(s.g, s.alice);
    for (const id of [1, 2, 3]) expect((await session.callTool(id)).status).toBe(200);
    // A method no client should send: counted under "other", never as a series of its own.
    const odd = await postMessage(
      session.url,
      { jsonrpc: "2.0", id: 9, method: 'x"}\n{evil' },
      session.headers,
    );
    await odd.text();
    const after = await scrape();
    expect(requests(after, "tools/call") - requests(before, "tools/call")).toBe(3);
    expect(requests(after, "initialize") - requests(before, "initialize")).toBe(1);
    expect(requests(after, "notifications/initialized") - requests(before, "notifications/initialized")).toBe(
      1,
    );
    const others = after
      .get("authmcp_mcp_requests_total")
      ?.samples.filter((x) => x.labels.method === "other");
    expect(others?.reduce((sum, x) => sum + x.value, 0)).toBe(1);
    const latencyCount = (f: Map<string, Family>) =>
      sampleValue(f, "authmcp_mcp_request_duration_seconds_count", { endpoint: "server", server: "shared" });
    expect(latencyCount(after) - latencyCount(before)).toBe(6);
    expect(sampleValue(after, "authmcp_mcp_sessions_active", { endpoint: "server" })).toBe(
      sampleValue(before, "authmcp_mcp_sessions_active", { endpoint: "server" }) + 1,
    );

    const closed = await fetch(session.url, { method: "DELETE", headers: session.headers });
    expect(closed.status).toBe(200);
    const gone = await scrape();
    expect(sampleValue(gone, "authmcp_mcp_sessions_active", { endpoint: "server" })).toBe(
      sampleValue(before, "authmcp_mcp_sessions_active", { endpoint: "server" }),
    );
  });

  test("rate-limit rejections, upstream failures, sign-in failures and issued tokens are counted", async () => {
    const before = await scrape();
    const dead = await createServer(s.g, s.setup.adminToken, {
      name: "dead",
      url: "http://127.0.0.1:9/mcp",
      open_to_all: true,
    });
    expect(dead.name).toBe("dead");
    const token = await tokenFor(s.g, "alice", "dead"); // a sign-in: a token issued
    const refused = await postMessage(
      `${s.g.url}/mcp/dead`,
      { jsonrpc: "2.0", id: 1, method: "ping" },
      admin(token),
    );
    expect(refused.status).toBe(502);
    await refused.text();
    const failed = await s.g.request(
      "/auth/login",
      jsonInit({ username: "alice", password: `${STRONG_PASSWORD}x` }),
    );
    expect(failed.status).toBe(401);
    const after = await scrape();
    expect(
      sampleValue(after, "authmcp_upstream_errors_total", {
        endpoint: "server",
        server: "dead",
        kind: "failed",
      }),
    ).toBe(1);
    expect(requests(after, "ping", "error", "dead")).toBe(1);
    expect(
      sampleValue(after, "authmcp_login_failures_total") -
        sampleValue(before, "authmcp_login_failures_total"),
    ).toBe(1);
    const issued = (f: Map<string, Family>) =>
      (f.get("authmcp_tokens_issued_total")?.samples ?? []).reduce((sum, x) => sum + x.value, 0);
    expect(issued(after) - issued(before)).toBe(1);
  });

  test("MCP rate-limit rejections", async () => {
    const limited = await activityStage({ RATE_LIMIT_MCP_MAX: "2" });
    try {
      const session = await rawSession(limited.g, limited.alice); // 2 requests: the limit
      expect((await session.callTool(1)).status).toBe(429);
      const families = parsePrometheusText(await (await limited.g.request("/metrics")).text());
      expect(
        sampleValue(families, "authmcp_rate_limit_rejections_total", {
          endpoint: "server",
          server: "shared",
        }),
      ).toBe(1);
    } finally {
      await limited.stage.close();
    }
  });
});

describe("METRICS_TOKEN", () => {
  test("when set, /metrics needs it as a bearer token", async () => {
    const g = await testGateway({ METRICS_TOKEN: "scrape-token-0123456789" });
    try {
      expect((await g.request("/metrics")).status).toBe(401);
      const wrong = await g.request("/metrics", {
        headers: { authorization: "Bearer scrape-token-012345678" },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
      const right = await g.request("/metrics", {
        headers: { authorization: "Bearer scrape-token-0123456789" },
      });
      expect(right.status).toBe(200);
      expect(parsePrometheusText(await right.text()).has("authmcp_mcp_requests_total")).toBe(true);
    } finally {
      await g.close();
    }
  });
});
