// The activity row's method and target come from a bounded scan of the body, not a parse: it must
// still name what the backend will see, whatever a client nests or escapes.

import { describe, expect, test } from "bun:test";
import { scanRpcCall } from "../../src/audit/activity/extract.ts";

const scan = (body: string, limit = 4096) => scanRpcCall(body, limit, "POST");

describe("scanRpcCall", () => {
  test("method and the tool, prompt or resource a call names", () => {
    expect(
      scan('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}'),
    ).toEqual({
      method: "tools/call",
      target: "echo",
    });
    expect(scan('{"method":"prompts/get","params":{"name":"greet"},"id":2}')).toEqual({
      method: "prompts/get",
      target: "greet",
    });
    expect(scan('{ "id": 3, "method" : "resources/read", "params": { "uri": "file:///a\\"b" } }')).toEqual({
      method: "resources/read",
      target: 'file:///a"b',
    });
    expect(scan('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toEqual({
      method: "notifications/initialized",
      target: null,
    });
    // A method that names nothing has no target even when params has a name.
    expect(scan('{"method":"initialize","params":{"clientInfo":{"name":"x"},"name":"y"}}').target).toBeNull();
  });

  test("only the top-level method and the keys directly in params count", () => {
    // A nested or quoted "method"/"name" cannot disguise a call as something else.
    expect(scan('{"params":{"method":"ping","name":"real"},"method":"tools/call"}')).toEqual({
      method: "tools/call",
      target: "real",
    });
    expect(
      scan('{"params":{"arguments":{"name":"inner"},"name":"outer"},"method":"tools/call"}').target,
    ).toBe("outer");
    expect(scan('{"id":"\\"method\\":\\"ping\\"","method":"tools/call","params":{"name":"t"}}')).toEqual({
      method: "tools/call",
      target: "t",
    });
    expect(scan('{"params":[{"name":"x"}],"method":"tools/call"}')).toEqual({
      method: "tools/call",
      target: null,
    });
  });

  test("a batch, a non-object, or a method past the scan limit gives the HTTP method", () => {
    expect(scan('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).toEqual({ method: "POST", target: null });
    expect(scan("not json")).toEqual({ method: "POST", target: null });
    expect(scan("")).toEqual({ method: "POST", target: null });
    const padded = `{"id":"${"x".repeat(100)}","method":"tools/call"}`;
    expect(scan(padded, 64)).toEqual({ method: "POST", target: null });
    expect(scan(padded, 4096).method).toBe("tools/call");
  });
});
