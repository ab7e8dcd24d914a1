import { connect, type Socket } from "node:net";
import { IDLE_TIMEOUT_SECONDS } from "../../src/http/idle-timeout.ts";
import { attachApp } from "../../src/http/serve.ts";
import { type TestGateway, testGateway } from "../support/context.ts";

/** A request written by hand on a raw TCP connection, its body trickled or never finished. */
export interface RawRequest {
  socket: Socket;
  /** Everything the server sent, once it closed the connection (or `settle` gave up). */
  closed: Promise<string>;
  /** What the server sent so far. */
  received(): string;
  destroy(): void;
}

/**
 * Connects to 127.0.0.1:`port`, writes `head` (request line and headers, without the blank line)
 * and `firstBody`, then one more body byte every `trickleMs` (when given) until the server closes.
 */
export function rawRequest(port: number, head: string, firstBody: string, trickleMs?: number): RawRequest {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  let trickle: ReturnType<typeof setInterval> | undefined;
  const closed = new Promise<string>((resolve) => {
    socket.on("data", (chunk) => {
      text += String(chunk);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(trickle);
      resolve(text);
    });
  });
  socket.write(`${head}\r\n\r\n${firstBody}`);
  if (trickleMs !== undefined) {
    trickle = setInterval(() => {
      if (!socket.destroyed) socket.write("x");
    }, trickleMs);
  }
  return {
    socket,
    closed,
    received: () => text,
    destroy: () => {
      clearInterval(trickle);
      socket.destroy();
    },
  };
}

/** Resolves with `promise`'s value, or with `fallback` after `ms` (a bound for tests, not a timing assertion). */
export function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, Bun.sleep(ms).then(() => fallback)]);
}

export interface ServedGateway extends TestGateway {
  url: string;
  port: number;
  server: ReturnType<typeof Bun.serve>;
}

/**
 * A gateway served as `start` serves it (Bun's body size limit and idle timeout included) on
 * 127.0.0.1, with MCP_PUBLIC_URL set to its address unless `env` sets one.
 */
export async function servedGateway(env: Record<string, string> = {}): Promise<ServedGateway> {
  const maxBody = Number(env.MAX_BODY_BYTES ?? 1024 * 1024);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: maxBody,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    development: false,
    fetch: () => new Response("starting", { status: 503 }),
  });
  const url = `http://127.0.0.1:${server.port}`;
  const gateway = await testGateway({ MCP_PUBLIC_URL: url, ...env });
  attachApp(server, gateway.app, gateway.ctx);
  return {
    ...gateway,
    url,
    port: server.port as number,
    server,
    close: async () => {
      server.stop(true);
      await gateway.close();
    },
  };
}
