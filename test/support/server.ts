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
  let handler:
    | ((request: Request, server: ReturnType<typeof Bun.serve>) => Response | Promise<Response>)
    | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: (request, srv) => (handler ? handler(request, srv) : new Response("starting", { status: 503 })),
  });
  const url = `http://127.0.0.1:${server.port}`;
  const gateway = await testGateway({ MCP_PUBLIC_URL: url, ...env }, options);
  const app = gateway.app;
  handler = (request, _srv) => app.handle(request) as Promise<Response>;
  void server;
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
