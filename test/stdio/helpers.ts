import { afterEach } from "bun:test";
import { join } from "node:path";
import type { Gateway } from "../../src/gateway/module.ts";
import { adminAndUser, createServer } from "../gateway/helpers.ts";
import type { TestGateway } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";

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

/**
 * A listening gateway per test, closed after each: the returned `start(env)` opens it (SSE
 * keep-alive out of the way, no restart backoff, `env` on top) with an admin and a user.
 */
export function stdioGatewayPerTest() {
  let gateway: ListeningGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  return async (env: Record<string, string> = {}) => {
    gateway = await listeningGateway({
      MCP_SSE_KEEPALIVE_MS: "60000",
      MCP_STDIO_RESTART_BACKOFF_MS: "0",
      ...env,
    });
    const setup = await adminAndUser(gateway);
    return { gateway, setup };
  };
}
