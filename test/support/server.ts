import { attachApp } from "../../src/http/serve.ts";
import { type TestGateway, testGateway } from "./context.ts";

export interface ListeningGateway extends TestGateway {
  /** Base URL the gateway listens on (equal to its MCP_PUBLIC_URL). */
  url: string;
  server: ReturnType<typeof Bun.serve>;
}

/**
 * A gateway listening on 127.0.0.1 on a free port, with MCP_PUBLIC_URL set to that address,
 * for clients that need a real URL (the MCP SDK, oauth4webapi, a browser).
 */
export async function listeningGateway(
  env: Record<string, string> = {},
  options: Parameters<typeof testGateway>[1] = {},
): Promise<ListeningGateway> {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: () => new Response("starting", { status: 503 }),
  });
  const url = `http://127.0.0.1:${server.port}`;
  const gateway = await testGateway({ MCP_PUBLIC_URL: url, ...env }, options);
  // The same dispatch as `start`: the MCP proxy routes from Bun.serve, the rest through the app.
  attachApp(server, gateway.app, gateway.ctx);
  return {
    ...gateway,
    url,
    server,
    close: async () => {
      server.stop(true);
      await gateway.close();
    },
  };
}
