// A large tools/list of /mcp goes gzip-encoded to a client that accepts it: compressed once per
// cached page, each answer's JSON-RPC id spliced in (src/gateway/aggregate/gzip-page.ts). Decoded by
// zlib (CRC and length checked), the web DecompressionStream and the SDK client's own fetch.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { acceptsGzip, GzipSplicedBody } from "../../src/gateway/aggregate/gzip-page.ts";
import { sdkClient } from "../gateway/helpers.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

const ACCEPT = "application/json, text/event-stream";
const EXTRA_TOOLS = Array.from({ length: 60 }, (_, i) => `bulk_${String(i).padStart(2, "0")}`);

/** An initialised session (SDK client) and raw POSTs into it with the given Accept-Encoding. */
async function session(setup: AggregateSetup) {
  const token = await setup.tokenFor("root");
  const { client, transport } = await sdkClient(`${setup.gateway.url}/mcp`, token);
  const list = (id: unknown, acceptEncoding: string) =>
    fetch(`${setup.gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: ACCEPT,
        "accept-encoding": acceptEncoding,
        "mcp-session-id": transport.sessionId as string,
        "mcp-protocol-version": "2025-11-25",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" }),
      decompress: false,
    });
  return { client, list };
}

describe("tools/list of /mcp, gzip-encoded when large and accepted", () => {
  let setup: AggregateSetup;
  beforeAll(async () => {
    setup = await aggregateSetup(
      { MCP_AGGREGATE_LIST_GZIP_MIN_BYTES: "4096" },
      { alpha: EXTRA_TOOLS, beta: EXTRA_TOOLS },
    );
  });
  afterAll(() => setup.close());

  test("the gzip answer decodes to exactly the identity answer, for each request's own id", async () => {
    const { client, list } = await session(setup);
    const plain = await list(1, "identity");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const plainText = await plain.text();
    expect(plainText.length).toBeGreaterThan(4096);
    const expected = JSON.parse(plainText) as { result: unknown };

    for (const id of [2, "a string id", "é – ünïcode ✓", 9_007_199_254_740_991]) {
      const zipped = await list(id, "br;q=0.5, gzip, deflate");
      expect(zipped.status).toBe(200);
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      expect(zipped.headers.get("vary")).toBe("Accept-Encoding");
      expect(zipped.headers.get("content-type")).toStartWith("application/json");
      const bytes = new Uint8Array(await zipped.arrayBuffer());
      expect(Number(zipped.headers.get("content-length"))).toBe(bytes.byteLength);
      expect(bytes.byteLength).toBeLessThan(plainText.length / 2);
      // zlib checks the member's CRC-32 and length: a wrong splice fails here.
      const text = gunzipSync(bytes).toString("utf8");
      expect(JSON.parse(text)).toEqual({ jsonrpc: "2.0", id, result: expected.result });
      const streamed = await new Response(
        new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
      ).text();
      expect(streamed).toBe(text);
    }
    await client.close();
  });

  test("a client that does not accept gzip (or refuses it with q=0) gets the identity answer", async () => {
    const { client, list } = await session(setup);
    for (const header of ["identity", "gzip;q=0", "deflate, br", ""]) {
      const response = await list(7, header);
      expect(response.headers.get("content-encoding")).toBeNull();
      const body = (await response.json()) as { id: number; result: { tools: unknown[] } };
      expect(body.id).toBe(7);
      expect(body.result.tools.length).toBeGreaterThan(EXTRA_TOOLS.length * 2);
    }
    await client.close();
  });

  test("the SDK client (its fetch asks for gzip) lists every tool through the compressed answer", async () => {
    const { client } = await setup.connect("root");
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    for (const bulk of EXTRA_TOOLS) {
      expect(names).toContain(`alpha__${bulk}`);
      expect(names).toContain(`beta__${bulk}`);
    }
    await client.close();
  });
});

describe("MCP_AGGREGATE_LIST_GZIP_MIN_BYTES", () => {
  test("a page under the limit, and any page with 0, goes uncompressed", async () => {
    for (const min of ["1000000", "0"]) {
      const setup = await aggregateSetup({ MCP_AGGREGATE_LIST_GZIP_MIN_BYTES: min }, { alpha: EXTRA_TOOLS });
      try {
        const { client, list } = await session(setup);
        const response = await list(1, "gzip");
        expect(response.headers.get("content-encoding")).toBeNull();
        expect(((await response.json()) as { id: number }).id).toBe(1);
        await client.close();
      } finally {
        await setup.close();
      }
    }
  });
});

describe("the splice itself", () => {
  test("any prefix and constant part, empty ones included, decode to their concatenation", async () => {
    const encoder = new TextEncoder();
    for (const constant of ["", "}", "x".repeat(70_000), JSON.stringify({ a: "ß".repeat(5000) })]) {
      const body = new GzipSplicedBody(encoder.encode(constant));
      for (const prefix of ["", "{", `{"id":"${"9".repeat(1000)}",`]) {
        const zipped = new Uint8Array(await body.withPrefix(encoder.encode(prefix)).arrayBuffer());
        expect(gunzipSync(zipped).toString("utf8")).toBe(prefix + constant);
      }
    }
    expect(() => new GzipSplicedBody(new Uint8Array(1)).withPrefix(new Uint8Array(70_000))).toThrow(
      RangeError,
    );
  });

  test("Accept-Encoding is read as RFC 9110 says (token, case, q=0)", () => {
    expect(acceptsGzip("gzip")).toBe(true);
    expect(acceptsGzip("GZIP;q=0.1")).toBe(true);
    expect(acceptsGzip("x-gzip")).toBe(true);
    expect(acceptsGzip("deflate, gzip;q=0")).toBe(false);
    expect(acceptsGzip("gzip;q=0.000")).toBe(false);
    expect(acceptsGzip("gzipped, br")).toBe(false);
    expect(acceptsGzip(null)).toBe(false);
  });
});
