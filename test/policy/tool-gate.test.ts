import { describe, expect, test } from "bun:test";
import { filterToolsList, inspectToolRequest } from "../../src/policy/tool-gate.ts";

const onlyEcho = (tool: string) => tool === "echo";

/** An SSE answer delivered in the given chunks (split anywhere, even inside a line). */
function sse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("tools/list answers over SSE", () => {
  test("the answering event is filtered wherever the chunks split it; other events pass byte for byte", async () => {
    const notification =
      'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\r\n\r\n';
    const answer = `id: 7\r\nevent: message\r\ndata: {"jsonrpc":"2.0","id":5,"result":{"tools":[{"name":"echo"},{"name":"wait"},{"name":7}]}}\r\n\r\n`;
    const whole = notification + answer;
    const chunks = [
      whole.slice(0, 10),
      whole.slice(10, notification.length + 30),
      whole.slice(notification.length + 30),
    ];
    const filtered = await filterToolsList(sse(chunks), 5, onlyEcho, 1 << 20);
    const text = await filtered.text();
    expect(text.startsWith(notification)).toBe(true);
    const rest = text.slice(notification.length);
    expect(rest).toContain("id: 7");
    const data = /^data: (.*)$/m.exec(rest)?.[1] ?? "";
    expect(JSON.parse(data)).toEqual({ jsonrpc: "2.0", id: 5, result: { tools: [{ name: "echo" }] } });
    expect(filtered.headers.get("cache-control")).toBe("no-cache");
  });

  test("an answer to another id is not touched; an event over the limit ends the stream instead of passing", async () => {
    const other = 'data: {"jsonrpc":"2.0","id":6,"result":{"tools":[{"name":"wait"}]}}\n\n';
    expect(await (await filterToolsList(sse([other]), 5, onlyEcho, 1 << 20)).text()).toBe(other);
    const big = `data: {"jsonrpc":"2.0","id":5,"result":{"tools":[${'{"name":"wait"},'.repeat(200)}{"name":"echo"}]}}\n\n`;
    const filtered = await filterToolsList(sse([big.slice(0, 2000), big.slice(2000)]), 5, onlyEcho, 1024);
    await expect(filtered.text()).rejects.toThrow();
  });
});

describe("requests on a server with tool rules", () => {
  test("denied calls, notifications and batches", async () => {
    expect(
      inspectToolRequest(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo" } }),
        onlyEcho,
      ),
    ).toEqual({ kind: "pass" });
    const denied = inspectToolRequest(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "wait" } }),
      onlyEcho,
    );
    if (denied.kind !== "refuse") throw new Error("expected a refusal");
    expect(denied.response.status).toBe(200);
    expect(await denied.response.json()).toMatchObject({ id: 1, error: { code: -32602 } });
    const noName = inspectToolRequest(
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: ["echo"] } }),
      onlyEcho,
    );
    if (noName.kind !== "refuse") throw new Error("expected a refusal");
    expect(await noName.response.json()).toMatchObject({ id: 2, error: { code: -32602 } });
    const notification = inspectToolRequest(
      JSON.stringify({ jsonrpc: "2.0", method: "tools/call", params: { name: "wait" } }),
      onlyEcho,
    );
    if (notification.kind !== "refuse") throw new Error("expected a refusal");
    expect(notification.response.status).toBe(202);
    const batch = inspectToolRequest(
      JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo" } }]),
      onlyEcho,
    );
    expect(batch.kind === "refuse" && batch.response.status).toBe(400);
    expect(
      inspectToolRequest(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }), onlyEcho),
    ).toEqual({ kind: "list", id: 3 });
    expect(inspectToolRequest("{not json", onlyEcho)).toEqual({ kind: "pass" });
    expect(inspectToolRequest(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "ping" }), onlyEcho)).toEqual({
      kind: "pass",
    });
  });
});
