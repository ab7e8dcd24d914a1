import { join } from "node:path";
import type { Gateway } from "../../src/gateway/module.ts";
import { createServer } from "../gateway/helpers.ts";
import type { TestGateway } from "../support/context.ts";

/** The test stdio MCP server, run with the bun that runs the tests. */
export const STDIO_SERVER = join(import.meta.dir, "..", "support", "stdio-server.ts");

export function stdioServer(
  gateway: TestGateway,
  adminToken: string,
  extra: Record<string, unknown> = {},
): ReturnType<typeof createServer> {
  return createServer(gateway, adminToken, {
    name: "tools",
    transport: "stdio",
    command: process.execPath,
    args: [STDIO_SERVER],
    open_to_all: true,
    ...extra,
  });
}

export function gatewayOf(gateway: TestGateway): Gateway {
  return gateway.app.decorator.gateway as Gateway;
}

/** True while a process with this id exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone (a kill is asynchronous); false when it still runs after ~5 s. */
export async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 500 && alive(pid); i++) await Bun.sleep(10);
  return !alive(pid);
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.text ?? "";
}
