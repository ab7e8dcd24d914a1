/** How the fake token endpoint answers the next requests. */
export type TokenEndpointMode =
  /** 200 with a new access token that lives `expiresIn` seconds. */
  | { kind: "issue"; expiresIn: number }
  /** The RFC 6749 §5.2 error answer, with this status, `error` and `error_description`. */
  | { kind: "refuse"; status: number; error: string; description: string };

export interface TokenEndpoint {
  url: string;
  mode: TokenEndpointMode;
  /** The Authorization header and form body of every request it received. */
  received: { authorization: string | null; body: URLSearchParams }[];
  stop(): void;
}

/** A real OAuth token endpoint (client_credentials) on loopback whose answers a test sets. */
export function startTokenEndpoint(
  mode: TokenEndpointMode = { kind: "issue", expiresIn: 3600 },
): TokenEndpoint {
  const endpoint: TokenEndpoint = {
    url: "",
    mode,
    received: [],
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      endpoint.received.push({
        authorization: request.headers.get("authorization"),
        body: new URLSearchParams(await request.text()),
      });
      const current = endpoint.mode;
      if (current.kind === "refuse") {
        return Response.json(
          { error: current.error, error_description: current.description },
          { status: current.status },
        );
      }
      return Response.json({
        access_token: `issued-token-${endpoint.received.length}`,
        token_type: "Bearer",
        expires_in: current.expiresIn,
      });
    },
  });
  endpoint.url = `http://127.0.0.1:${server.port}/token`;
  return endpoint;
}
