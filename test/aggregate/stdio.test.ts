import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { stdioServer, textOf } from "../stdio/helpers.ts";
import { type AggregateSetup, aggregateSetup } from "./setup.ts";

let setup: AggregateSetup;
beforeAll(async () => {
  setup = await aggregateSetup();
  await stdioServer(setup.gateway, setup.users.adminToken, { name: "local" });
});
afterAll(async () => {
  await setup.close();
});

describe("/mcp: stdio servers", () => {
  test("a stdio server's tools are listed and callable beside the HTTP servers'", async () => {
    const { client } = await setup.connect("alice"); // local is open to all
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("local__echo");
    expect(names).toContain("alpha__echo");
    expect(textOf(await client.callTool({ name: "local__echo", arguments: { text: "from stdio" } }))).toBe(
      "from stdio",
    );
    expect(textOf(await client.callTool({ name: "alpha__echo", arguments: { text: "x" } }))).toBe("alpha:x");
    await client.close();
  });

  test("a crashed stdio process is restarted and callable again in the same session", async () => {
    const { client } = await setup.connect("root");
    const pid = Number(textOf(await client.callTool({ name: "local__pid", arguments: {} })));
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    let next = pid;
    for (let attempt = 0; attempt < 200 && next === pid; attempt++) {
      try {
        next = Number(textOf(await client.callTool({ name: "local__pid", arguments: {} })));
      } catch {
        // Restarting: the call errors meanwhile; the restart backoff runs on the gateway's clock.
        setup.gateway.clock.advance(1000);
        await Bun.sleep(10);
      }
    }
    expect(next).not.toBe(pid);
    expect(next).toBeGreaterThan(0);
    await client.close();
  });
});
