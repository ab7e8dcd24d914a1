// A real MCP server on stdio (SDK McpServer + StdioServerTransport), run by the gateway as
// `bun test/support/stdio-server.ts` in the stdio tests. Each start appends its pid to
// $STDIO_START_LOG when set, so a test can count starts.
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const startLog = process.env.STDIO_START_LOG;
if (startLog) appendFileSync(startLog, `${process.pid}\n`);
if (process.env.STDIO_FAIL_START === "1") process.exit(3);
if (process.env.STDIO_IGNORE_TERM === "1") {
  // A server that does not stop when asked: only SIGKILL ends it.
  process.on("SIGTERM", () => {});
  setInterval(() => {}, 1000);
}

const server = new McpServer({ name: "stdio-backend", version: "1.0.0" }, { capabilities: { logging: {} } });
const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

server.registerTool(
  "echo",
  { description: "Echoes text", inputSchema: { text: z.string() } },
  async ({ text: t }) => text(t),
);
server.registerTool("pid", { description: "The process id" }, async () => text(String(process.pid)));
server.registerTool(
  "env",
  { description: "An environment variable", inputSchema: { name: z.string() } },
  async ({ name }) => text(process.env[name] ?? "(unset)"),
);
server.registerTool(
  "progress",
  { description: "Sends N progress notifications", inputSchema: { steps: z.number().int() } },
  async ({ steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      if (token !== undefined)
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: i, total: steps },
        });
      await Bun.sleep(5);
    }
    return text(`done after ${steps}`);
  },
);
server.registerTool("crash", { description: "Exits the process" }, async () => process.exit(7));
server.registerTool(
  "big",
  { description: "Answers with N bytes of text", inputSchema: { bytes: z.number().int() } },
  async ({ bytes }) => text("x".repeat(bytes)),
);
server.registerTool(
  "stderr",
  { description: "Writes one stderr line of N characters", inputSchema: { chars: z.number().int() } },
  async ({ chars }) => {
    process.stderr.write(`${"e".repeat(chars)}\n`);
    return text("written");
  },
);
server.registerTool(
  "ask",
  { description: "Asks the client's model (sampling)", inputSchema: { prompt: z.string() } },
  async ({ prompt }) => {
    try {
      const answer = await server.server.createMessage({
        messages: [{ role: "user", content: { type: "text", text: prompt } }],
        maxTokens: 10,
      });
      return text(`model said: ${answer.content.type === "text" ? answer.content.text : "?"}`);
    } catch (error) {
      return text(`no sampling: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
);
let cancelled = 0;
server.registerTool(
  "hang",
  { description: "Reports progress once, answers only when cancelled" },
  async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined)
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: 1 },
      });
    await new Promise<void>((resolve) =>
      extra.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    cancelled++;
    return text("cancelled");
  },
);
server.registerTool("cancelled", { description: "How many hang calls were cancelled" }, async () =>
  text(String(cancelled)),
);
server.registerTool(
  "log",
  { description: "Sends a logging notification with the text", inputSchema: { text: z.string() } },
  async ({ text: data }) => {
    await server.server.sendLoggingMessage({ level: "info", data });
    return text("logged");
  },
);
server.registerTool("add_tool", { description: "Adds a tool (tools/list_changed)" }, async () => {
  const name = `added_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  server.registerTool(name, { description: "added" }, async () => text("added"));
  return text(name);
});

await server.connect(new StdioServerTransport());
