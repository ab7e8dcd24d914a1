import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { INITIALIZE, postMessage } from "../gateway/helpers.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
let aliceToken: string;
let rootToken: string;
beforeAll(async () => {
  setup = await aggregateSetup({
    MCP_AGGREGATE_SESSION_IDLE_MS: "60000",
    // Frequent keep-alives: the gateway notices a client's closed stream at its next write.
    MCP_SSE_KEEPALIVE_MS: "50",
    MCP_AGGREGATE_PAGE_SIZE: "5",
  });
  aliceToken = await setup.tokenFor("alice");
  rootToken = await setup.tokenFor("root");
});
afterAll(async () => {
  await setup.close();
});

const url = () => `${setup.gateway.url}/mcp`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Opens a session with a raw initialize; returns its id. */
async function open(token: string, version = "2025-06-18"): Promise<string> {
  const response = await postMessage(
    url(),
    { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: version } },
    bearer(token),
  );
  expect(response.status).toBe(200);
  await response.text();
  const id = response.headers.get("mcp-session-id");
  expect(id).toBeString();
  return id as string;
}

function session(id: string, token: string, version = "2025-06-18") {
  return { ...bearer(token), "mcp-session-id": id, "mcp-protocol-version": version };
}

const ping = (id: number) => ({ jsonrpc: "2.0", id, method: "ping" });

describe("/mcp: token and origin", () => {
  test("no token → 401 with the aggregate resource's metadata; a per-server token → 401 invalid_token", async () => {
    const none = await postMessage(url(), INITIALIZE);
    expect(none.status).toBe(401);
    const challenge = none.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain(
      `resource_metadata="${setup.gateway.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    const metadata = (await (
      await fetch(`${setup.gateway.url}/.well-known/oauth-protected-resource/mcp`)
    ).json()) as { resource: string };
    expect(metadata.resource).toBe(url());

    const perServer = (await (
      await setup.gateway.request("/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "root", password: "Correct-Horse-9", resource: `${url()}/alpha` }),
      })
    ).json()) as { access_token: string };
    const wrong = await postMessage(url(), INITIALIZE, bearer(perServer.access_token));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  test("a foreign Origin → 403; an allowed one gets CORS headers", async () => {
    const foreign = await postMessage(url(), INITIALIZE, {
      ...bearer(rootToken),
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    const allowed = await postMessage(url(), INITIALIZE, {
      ...bearer(rootToken),
      origin: "https://app.example",
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");
    await allowed.text();
  });
});

describe("/mcp: sessions and lifecycle", () => {
  test("initialize negotiates the version and issues a random session id", async () => {
    for (const version of ["2025-11-25", "2025-06-18", "2025-03-26"]) {
      const response = await postMessage(
        url(),
        { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: version } },
        { ...bearer(rootToken), accept: "application/json, text/event-stream" },
      );
      const text = await response.text();
      expect(text).toContain(`"protocolVersion":"${version}"`);
      expect(text).toContain('"tools":{"listChanged":true}');
    }
    const old = await postMessage(
      url(),
      { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: "2024-11-05" } },
      bearer(rootToken),
    );
    expect(await old.text()).toContain('"protocolVersion":"2025-11-25"');
    const a = await open(rootToken);
    const b = await open(rootToken);
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(32);
  });

  test("an unsupported MCP-Protocol-Version → 400", async () => {
    const id = await open(rootToken);
    const response = await postMessage(url(), ping(2), session(id, rootToken, "2024-11-05"));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "Unsupported MCP-Protocol-Version",
    );
    const fine = await postMessage(url(), ping(3), session(id, rootToken));
    expect(fine.status).toBe(200);
    expect(await fine.text()).toContain('"result":{}');
  });

  test("batches: refused from 2025-06-18 on, answered for 2025-03-26", async () => {
    const id = await open(rootToken);
    const refused = await postMessage(url(), [ping(1), ping(2)], session(id, rootToken));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const old = await open(rootToken, "2025-03-26");
    const batch = await postMessage(url(), [ping(1), ping(2)], session(old, rootToken, "2025-03-26"));
    expect(batch.status).toBe(200);
    const text = await batch.text();
    expect(text).toContain('"id":1');
    expect(text).toContain('"id":2');
  });

  test("notifications and responses from the client → 202", async () => {
    const id = await open(rootToken);
    const note = await postMessage(
      url(),
      { jsonrpc: "2.0", method: "notifications/initialized" },
      session(id, rootToken),
    );
    expect(note.status).toBe(202);
    const answer = await postMessage(url(), { jsonrpc: "2.0", id: 99, result: {} }, session(id, rootToken));
    expect(answer.status).toBe(202);
  });

  test("a session is bound to its user: another user's token → 404, logged", async () => {
    const id = await open(aliceToken);
    const stolen = await postMessage(url(), ping(1), session(id, rootToken));
    expect(stolen.status).toBe(404);
    expect(setup.gateway.logs.some((line) => line.includes("session_hijack_attempt"))).toBe(true);
    const own = await postMessage(url(), ping(1), session(id, aliceToken));
    expect(own.status).toBe(200);
    await own.text();
  });

  test("requests without a session: GET/DELETE → 400, a POST other than initialize → 400; unknown id → 404", async () => {
    expect(
      (await fetch(url(), { headers: { ...bearer(rootToken), accept: "text/event-stream" } })).status,
    ).toBe(400);
    expect((await fetch(url(), { method: "DELETE", headers: bearer(rootToken) })).status).toBe(400);
    expect((await postMessage(url(), ping(1), bearer(rootToken))).status).toBe(400);
    expect((await postMessage(url(), ping(1), session("no-such-session", rootToken))).status).toBe(404);
  });

  test("DELETE ends the session and its backend sessions", async () => {
    const { client, transport } = await setup.connect("root");
    await client.callTool({ name: "alpha__whoami", arguments: {} });
    const id = transport.sessionId as string;
    const deletesBefore = setup.backends.alpha.seen.filter((r) => r.http === "DELETE").length;
    await transport.terminateSession();
    const after = await postMessage(url(), ping(1), session(id, rootToken));
    expect(after.status).toBe(404);
    const deletes = setup.backends.alpha.seen.filter((r) => r.http === "DELETE").length;
    expect(deletes).toBe(deletesBefore + 1);
    await client.close();
  });

  test("an idle session expires (MCP_AGGREGATE_SESSION_IDLE_MS) → 404", async () => {
    const id = await open(rootToken);
    setup.gateway.clock.advance(30_000);
    const used = await postMessage(url(), ping(1), session(id, rootToken));
    expect(used.status).toBe(200); // used within the idle time: kept, and its idle time restarts
    await used.text();
    setup.gateway.clock.advance(59_000);
    expect((await postMessage(url(), ping(2), session(id, rootToken))).status).toBe(200);
    setup.gateway.clock.advance(60_001);
    expect((await postMessage(url(), ping(3), session(id, rootToken))).status).toBe(404);
  });
});

/** Reads SSE events from a stream until one carries data; returns its id and data. */
async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, buffer: { text: string }) {
  const decoder = new TextDecoder();
  for (;;) {
    const end = buffer.text.indexOf("\n\n");
    if (end >= 0) {
      const block = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      const field = (name: string) =>
        block
          .split("\n")
          .filter((line) => line.startsWith(`${name}:`))
          .map((line) => line.slice(name.length + 1).trim())
          .join("\n");
      if (field("data") !== "") return { id: field("id"), data: field("data") };
      continue;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended");
    buffer.text += decoder.decode(value, { stream: true });
  }
}

describe("/mcp: resumable streams", () => {
  test("GET stream events carry ids; resuming with Last-Event-ID replays what was missed", async () => {
    const id = await open(rootToken);
    const headers = { ...session(id, rootToken), accept: "text/event-stream" };
    const changeServer = async (timeout: number) => {
      const response = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.alpha}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ timeout_ms: timeout }),
      });
      expect(response.status).toBe(200);
    };
    const controller = new AbortController();
    const stream = await fetch(url(), { headers, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await changeServer(31_000);
    const first = await nextEvent(reader, { text: "" });
    expect(first.data).toContain("notifications/tools/list_changed");
    expect(first.id).not.toBe("");
    controller.abort();

    await changeServer(32_000); // sent while no stream is open: kept for the session
    let resumed: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      resumed = await fetch(url(), { headers: { ...headers, "last-event-id": first.id } });
      if (resumed.status !== 409) break; // 409 until the gateway noticed the first stream is gone
      await resumed.body?.cancel();
      await Bun.sleep(10);
    }
    if (!resumed?.body) throw new Error("no resumed stream");
    expect(resumed.status).toBe(200);
    // Replayed: the rest of the first change (prompts, resources), then the second change.
    const replayReader = resumed.body.getReader();
    const buffer = { text: "" };
    const methods: string[] = [];
    const ids = new Set<string>([first.id]);
    while (methods.filter((m) => m === "notifications/tools/list_changed").length < 1) {
      const event = await nextEvent(replayReader, buffer);
      methods.push((JSON.parse(event.data) as { method: string }).method);
      ids.add(event.id);
    }
    expect(methods).toEqual([
      "notifications/prompts/list_changed",
      "notifications/resources/list_changed",
      "notifications/tools/list_changed",
    ]);
    expect(ids.size).toBe(4); // every event id unique in the session
    await replayReader.cancel().catch(() => {});
  });
});

describe("/mcp: pagination", () => {
  test("lists come in pages of MCP_AGGREGATE_PAGE_SIZE across servers; a foreign cursor → -32602", async () => {
    const { client } = await setup.connect("root");
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const result = await client.listTools(cursor === undefined ? {} : { cursor });
      expect(result.tools.length).toBeLessThanOrEqual(5);
      seen.push(...result.tools.map((tool) => tool.name));
      cursor = result.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 100);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length); // no tool twice
    for (const server of ["alpha", "beta", "gamma"]) {
      for (const tool of ["echo", "whoami", "slow"]) expect(seen).toContain(`${server}__${tool}`);
    }
    const first = await client.listResources();
    expect(first.resources.length).toBe(2); // one page: fewer than five
    expect(first.nextCursor).toBeUndefined();
    await expect(client.listTools({ cursor: "not-ours" })).rejects.toMatchObject({ code: -32602 });
    await client.close();
  });
});

describe("/mcp: session limits", () => {
  test("per user (429) and in all (503), with a clear message; no event buffer, no resuming", async () => {
    const limited = await aggregateSetup({
      MCP_AGGREGATE_SESSION_MAX_PER_USER: "2",
      MCP_AGGREGATE_SESSION_MAX: "3",
      MCP_AGGREGATE_EVENT_BUFFER: "0",
      MCP_SSE_KEEPALIVE_MS: "50",
    });
    try {
      const alice = await limited.tokenFor("alice");
      const root = await limited.tokenFor("root");
      const post = (token: string) => postMessage(`${limited.gateway.url}/mcp`, INITIALIZE, bearer(token));
      const opened: string[] = [];
      for (let i = 0; i < 2; i++) {
        const response = await post(alice);
        expect(response.status).toBe(200);
        await response.text();
        opened.push(response.headers.get("mcp-session-id") as string);
      }
      const third = await post(alice);
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: { message: string } }).error.message).toContain(
        "MCP_AGGREGATE_SESSION_MAX_PER_USER",
      );
      const rootFirst = await post(root);
      expect(rootFirst.status).toBe(200);
      await rootFirst.text();
      const full = await post(root);
      expect(full.status).toBe(503);
      expect(((await full.json()) as { error: { message: string } }).error.message).toContain(
        "MCP_AGGREGATE_SESSION_MAX",
      );
      // Ending a session makes room again.
      const ended = await fetch(`${limited.gateway.url}/mcp`, {
        method: "DELETE",
        headers: { ...bearer(alice), "mcp-session-id": opened[0] as string },
      });
      expect(ended.status).toBe(200);
      expect((await post(alice)).status).toBe(200);

      // MCP_AGGREGATE_EVENT_BUFFER=0: events carry no id (nothing kept to resume from).
      const controller = new AbortController();
      const stream = await fetch(`${limited.gateway.url}/mcp`, {
        headers: { ...session(opened[1] as string, alice), accept: "text/event-stream" },
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      const patched = await limited.gateway.request(`/admin/api/mcp-servers/${limited.serverIds.alpha}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${limited.users.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ timeout_ms: 31_000 }),
      });
      expect(patched.status).toBe(200);
      const event = await nextEvent((stream.body as ReadableStream<Uint8Array>).getReader(), { text: "" });
      expect(event.data).toContain("notifications/tools/list_changed");
      expect(event.id).toBe("");
      controller.abort();
    } finally {
      await limited.close();
    }
  });
});
