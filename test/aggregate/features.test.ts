import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { sdkClient } from "../gateway/helpers.ts";
import { createUser } from "../support/context.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
beforeAll(async () => {
  setup = await aggregateSetup();
});
afterAll(async () => {
  await setup.close();
});

describe("/mcp: prompts", () => {
  test("prompts/list merges the permitted servers' prompts, named like tools; prompts/get reaches the right one", async () => {
    const { client } = await setup.connect("root");
    expect(client.getServerCapabilities()?.prompts).toEqual({ listChanged: true });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name).sort()).toEqual(["beta__greet", "gamma__greet"]);
    const gamma = prompts.find((prompt) => prompt.name === "gamma__greet");
    expect(gamma?.title).toBe("Greeting (gamma)");
    expect(gamma?.description).toBe("A greeting from gamma");
    expect(gamma?.arguments).toEqual([{ name: "who", required: true }]);
    for (const backend of ["beta", "gamma"]) {
      const got = await client.getPrompt({ name: `${backend}__greet`, arguments: { who: "ann" } });
      expect(got.messages).toEqual([
        { role: "user", content: { type: "text", text: `${backend} greets ann` } },
      ]);
    }
    await expect(client.getPrompt({ name: "alpha__greet", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    await client.close();
  });

  test("a user sees only the prompts of servers granted to them", async () => {
    const { client } = await setup.connect("alice");
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toEqual(["beta__greet"]);
    await expect(client.getPrompt({ name: "gamma__greet", arguments: { who: "x" } })).rejects.toMatchObject({
      code: -32602,
    });
    await client.close();
  });

  test("capabilities are the union of the user's servers: no prompts when none of them has any", async () => {
    const bob = await createUser(setup.gateway, "bob");
    await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.alpha}/users/${bob.id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${setup.users.adminToken}` },
    });
    const { client } = await sdkClient(`${setup.gateway.url}/mcp`, await setup.tokenFor("bob"));
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect(client.getServerCapabilities()?.prompts).toBeUndefined();
    await expect(client.listPrompts()).rejects.toMatchObject({ code: -32601 });
    await client.close();
  });
});

describe("/mcp: resources", () => {
  test("resources and templates of every permitted server, URIs as {server}+{uri}; read goes to the server that listed it", async () => {
    const { client } = await setup.connect("root");
    expect(client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri).sort()).toEqual([
      "beta+docs://readme",
      "gamma+docs://readme",
    ]);
    expect(resources.find((resource) => resource.uri === "beta+docs://readme")?.title).toBe("Readme of beta");
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      "beta+notes://{id}",
      "gamma+notes://{id}",
    ]);
    const read = await client.readResource({ uri: "gamma+docs://readme" });
    expect(read.contents).toEqual([
      { uri: "gamma+docs://readme", mimeType: "text/plain", text: "gamma readme" },
    ]);
    const note = await client.readResource({ uri: "beta+notes://42" });
    expect(note.contents).toEqual([{ uri: "beta+notes://42", text: "beta note 42" }]);
    // What the backend received: its own URI.
    const seen = setup.backends.gamma.seen.find((r) => r.rpc === "resources/read")?.body as {
      params: { uri: string };
    };
    expect(seen.params.uri).toBe("docs://readme");
    await expect(client.readResource({ uri: "nowhere+docs://readme" })).rejects.toMatchObject({
      code: -32002,
    });
    await expect(client.readResource({ uri: "docs://readme" })).rejects.toMatchObject({ code: -32002 });
    await client.close();
  });

  test("a user reads only the resources of servers granted to them", async () => {
    const { client } = await setup.connect("alice");
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual(["beta+docs://readme"]);
    await expect(client.readResource({ uri: "gamma+docs://readme" })).rejects.toMatchObject({ code: -32002 });
    await client.close();
  });

  test("subscribe reaches the backend with its URI; notifications/resources/updated comes back with the client's", async () => {
    const { client } = await setup.connect("root");
    const updated = new Promise<string>((resolve) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)),
    );
    await client.subscribeResource({ uri: "gamma+docs://readme" });
    expect(await updated).toBe("gamma+docs://readme");
    const seen = setup.backends.gamma.seen.find((r) => r.rpc === "resources/subscribe")?.body as {
      params: { uri: string };
    };
    expect(seen.params.uri).toBe("docs://readme");
    await client.unsubscribeResource({ uri: "gamma+docs://readme" });
    expect(setup.backends.gamma.count("resources/unsubscribe")).toBe(1);
    await client.close();
  });
});

describe("/mcp: completions and logging", () => {
  test("completion/complete is routed by prompt name and by resource template URI", async () => {
    const { client } = await setup.connect("root");
    expect(client.getServerCapabilities()?.completions).toEqual({});
    const byPrompt = await client.complete({
      ref: { type: "ref/prompt", name: "gamma__greet" },
      argument: { name: "who", value: "an" },
    });
    expect(byPrompt.completion.values).toEqual(["ann", "andy"]);
    const byTemplate = await client.complete({
      ref: { type: "ref/resource", uri: "beta+notes://{id}" },
      argument: { name: "id", value: "t" },
    });
    expect(byTemplate.completion.values).toEqual(["two", "three"]);
    const seen = setup.backends.beta.seen.find((r) => r.rpc === "completion/complete")?.body as {
      params: { ref: { uri: string } };
    };
    expect(seen.params.ref.uri).toBe("notes://{id}");
    await expect(
      client.complete({
        ref: { type: "ref/prompt", name: "nope__greet" },
        argument: { name: "who", value: "" },
      }),
    ).rejects.toMatchObject({ code: -32602 });
    await client.close();
  });

  test("logging/setLevel reaches the backends; their messages come back named after the server", async () => {
    const { client } = await setup.connect("root");
    expect(client.getServerCapabilities()?.logging).toEqual({});
    const messages: { level: string; logger?: string; data: unknown }[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
    });
    await client.setLoggingLevel("info");
    const result = await client.callTool({ name: "gamma__log", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "logged" }]);
    while (messages.length === 0) await Bun.sleep(5);
    // The backend dropped the debug message: the level the client set reached it.
    expect(messages).toEqual([{ level: "info", logger: "gamma", data: "gamma info" }]);
    expect(setup.backends.gamma.seen.some((r) => r.rpc === "logging/setLevel")).toBe(true);
    await client.close();
  });
});

describe("/mcp: requests from a backend to the client", () => {
  test("sampling, elicitation and roots are relayed to the client and its answers back to the backend that asked", async () => {
    const { client } = await sdkClient(`${setup.gateway.url}/mcp`, await setup.tokenFor("root"), {
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
    });
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const first = request.params.messages[0]?.content;
      const question = first && "text" in first ? String(first.text) : "";
      asked.push(question);
      return {
        role: "assistant",
        model: "test-model",
        content: { type: "text", text: `reply to ${question}` },
      };
    });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { ok: true } };
    });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///work" }] }));

    // Two backends asking at once: ids do not collide, each answer reaches the one that asked.
    const [beta, gamma] = await Promise.all([
      client.callTool({ name: "beta__ask", arguments: {} }),
      client.callTool({ name: "gamma__ask", arguments: {} }),
    ]);
    expect(asked.sort()).toEqual(["beta asks", "gamma asks"]);
    expect(beta.content).toEqual([{ type: "text", text: "beta heard reply to beta asks" }]);
    expect(gamma.content).toEqual([{ type: "text", text: "gamma heard reply to gamma asks" }]);

    const confirmed = await client.callTool({ name: "gamma__confirm", arguments: {} });
    expect(confirmed.content).toEqual([{ type: "text", text: 'gamma got accept {"ok":true}' }]);
    expect(asked).toContain("gamma wants a yes");
    const roots = await client.callTool({ name: "beta__roots", arguments: {} });
    expect(roots.content).toEqual([{ type: "text", text: "file:///work" }]);
    await client.close();
  });

  test("a client that declared no sampling: the backend is not told it may ask", async () => {
    const { client } = await setup.connect("root");
    const result = await client.callTool({ name: "beta__ask", arguments: {} });
    // The backend's SDK refuses to ask a client without the capability: the tool fails at the backend.
    expect(result.isError).toBe(true);
    const initialize = setup.backends.beta.seen.filter((r) => r.rpc === "initialize").at(-1)?.body as {
      params: { capabilities: Record<string, unknown> };
    };
    expect(initialize.params.capabilities.sampling).toBeUndefined();
    await client.close();
  });
});

describe("/mcp: tool rules of grants", () => {
  test("a grant's allow-list applies: only those tools are listed and callable; the backend never sees a denied call", async () => {
    const carol = await createUser(setup.gateway, "carol");
    const granted = await setup.gateway.request(`/admin/api/mcp-servers/${setup.serverIds.alpha}/grants`, {
      method: "POST",
      headers: { authorization: `Bearer ${setup.users.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: carol.id, allowed_tools: ["echo"] }),
    });
    expect(granted.status).toBe(201);
    const { client } = await sdkClient(`${setup.gateway.url}/mcp`, await setup.tokenFor("carol"));
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(["alpha__echo"]);
    const echo = await client.callTool({ name: "alpha__echo", arguments: { text: "ok" } });
    expect(echo.content).toEqual([{ type: "text", text: "alpha:ok" }]);
    const whoamiCalls = () =>
      setup.backends.alpha.seen.filter(
        (r) => r.rpc === "tools/call" && (r.body as { params?: { name?: string } }).params?.name === "whoami",
      ).length;
    const before = whoamiCalls();
    await expect(client.callTool({ name: "alpha__whoami", arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    expect(whoamiCalls()).toBe(before);
    expect(
      setup.gateway.logs.some((line) => line.includes('"tool_request_denied"') && line.includes(carol.id)),
    ).toBe(true);
    await client.close();
  });
});
