// The README's quick start, run as written: its shell blocks in order, against the gateway started
// the way step 1 starts it and the example server of step 3. Only the ports differ (free ones instead
// of 8000 and 9000), and the session id is pasted into step 5b's last block as a person would.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { collect, freePort, ROOT, runToEnd } from "../executable/helpers.ts";
import { spawnGateway } from "./start-helpers.ts";

let dir = "";
let emptyEnvFile = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "authmcp-quick-start-"));
  emptyEnvFile = join(dir, "empty.env");
  await Bun.write(emptyEnvFile, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```sh blocks of the quick start, in order. */
function quickStartBlocks(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("### Development"));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).replace(/^ {2}/gm, ""));
}

async function bash(script: string, env: Record<string, string>) {
  return runToEnd(["bash", "-c", script], {
    cwd: ROOT,
    // `bun` as the README runs it: the one running this test, first on the PATH.
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`, ...env },
  });
}

test("from the start to a tool called through the gateway, as the README says", async () => {
  const blocks = quickStartBlocks();
  expect(blocks).toHaveLength(7);
  const [install, createAdmin, exampleServer, addServer, serverToken, initialize, callTool] = blocks as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  expect(install).toBe("bun install --frozen-lockfile\nbun run start\n");
  expect(exampleServer).toBe("bun scripts/example-mcp-server.ts\n");

  // Step 3's server, on a free port instead of 9000.
  const backendPort = freePort();
  const backend = Bun.spawn([process.execPath, "scripts/example-mcp-server.ts"], {
    cwd: ROOT,
    env: { PORT: String(backendPort) },
    stdout: "pipe",
    stderr: "pipe",
  });
  const backendOut = collect(backend.stdout);
  // Step 1's gateway (`bun run start` is `bun src/main.ts start`), on a free port instead of 8000.
  const dataDir = join(dir, "data");
  const gateway = await spawnGateway(dataDir, emptyEnvFile);
  const ports = (text: string) =>
    text
      .replaceAll("localhost:8000", `localhost:${gateway.port}`)
      .replaceAll("127.0.0.1:9000", `127.0.0.1:${backendPort}`);
  const env = { AUTH_SQLITE_PATH: join(dataDir, "users.db") };
  try {
    await gateway.logLine((l) => l.msg.includes("enter the setup code"));
    for (let i = 0; i < 300 && !backendOut.text().includes("example MCP server on"); i++) await Bun.sleep(20);
    expect(backendOut.text()).toBe(
      `example MCP server on http://127.0.0.1:${backendPort}/mcp (tools: echo, add)\n`,
    );

    const admin = await bash(createAdmin, env);
    expect(admin.stdout).toStartWith("created administrator admin (");

    const steps = await bash(
      `${ports(addServer)}\necho\n${ports(serverToken)}\n${ports(initialize)}\necho "TOKEN=$TOKEN"`,
      env,
    );
    expect(steps.stderr).toBe("");
    const added = JSON.parse(steps.stdout.split("\n")[0] as string) as Record<string, unknown>;
    expect(added).toMatchObject({
      name: "example",
      resource: `http://localhost:${gateway.port}/mcp/example`,
      health: { status: "unknown" },
    });
    expect(steps.stdout).toContain("HTTP/1.1 200 OK");
    expect(steps.stdout).toContain('"serverInfo":{"name":"example","version":"1.0.0"}');
    const session = /^mcp-session-id: (\S+)\r?$/im.exec(steps.stdout)?.[1] as string;
    const token = /^TOKEN=(\S+)$/m.exec(steps.stdout)?.[1] as string;
    expect(session).toBeString();

    // The person pastes the session id where the block says so.
    expect(callTool).toContain("SESSION=…   # the mcp-session-id header above\n");
    const pasted = callTool.replace("SESSION=…   # the mcp-session-id header above", `SESSION=${session}`);
    const called = await bash(`TOKEN=${token}\n${ports(pasted)}`, env);
    expect(called.stderr).toBe("");
    expect(called.stdout).toContain(
      'data: {"result":{"content":[{"type":"text","text":"5"}]},"jsonrpc":"2.0","id":2}',
    );
  } finally {
    expect(await gateway.stop()).toBe(0);
    backend.kill("SIGTERM");
    await backend.exited;
  }
}, 60_000);
