/** A person at the GitHub stand-in, with the data its REST API returns about them. */
export interface GitHubPerson {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility: "public" | "private" | null }[];
  orgs?: string[];
  /** Teams as [org, team slug]. */
  teams?: [string, string][];
}

/**
 * A small stand-in for GitHub's OAuth web flow and REST API on loopback, answering with the
 * documented response shapes: `POST /login/oauth/access_token` (JSON when asked with Accept:
 * application/json; a bad code is a 200 with `{"error": "bad_verification_code"}`), `GET /user`,
 * `GET /user/emails`, `GET /user/orgs`, `GET /user/teams` (Bearer token, a User-Agent required).
 * The test plays the person with `authorize(url, person)`.
 */
export function startGitHubStandIn(options: { clientId: string; clientSecret: string }) {
  const codes = new Map<string, { person: GitHubPerson; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GitHubPerson>();
  const apiCalls: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request): Promise<Response> => {
      const url = new URL(request.url);
      if (url.pathname === "/login/oauth/access_token" && request.method === "POST") {
        const body = new URLSearchParams(await request.text());
        const code = codes.get(body.get("code") ?? "");
        codes.delete(body.get("code") ?? "");
        const digest = await crypto.subtle.digest(
          "SHA-256",
          new TextEncoder().encode(body.get("code_verifier") ?? ""),
        );
        const ok =
          code !== undefined &&
          body.get("client_id") === options.clientId &&
          body.get("client_secret") === options.clientSecret &&
          Buffer.from(digest).toString("base64url") === code.challenge &&
          body.get("redirect_uri") === code.redirectUri;
        if (!ok || !code) {
          return Response.json({
            error: "bad_verification_code",
            error_description: "The code passed is incorrect or expired.",
            error_uri:
              "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
          });
        }
        const token = `gho_${crypto.randomUUID().replaceAll("-", "")}`;
        tokens.set(token, code.person);
        return Response.json({ access_token: token, token_type: "bearer", scope: "read:user,user:email" });
      }
      apiCalls.push(url.pathname);
      const person = tokens.get(request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "");
      if (!request.headers.get("user-agent"))
        return Response.json({ message: "Request forbidden by administrative rules." }, { status: 403 });
      if (!person)
        return Response.json(
          { message: "Requires authentication", documentation_url: "https://docs.github.com/rest" },
          { status: 401 },
        );
      switch (url.pathname) {
        case "/user":
          return Response.json({
            login: person.login,
            id: person.id,
            node_id: "MDQ6VXNlcjE=",
            type: "User",
            name: person.name,
            email: person.emails.find((e) => e.primary && e.visibility === "public")?.email ?? null,
          });
        case "/user/emails":
          return Response.json(person.emails);
        case "/user/orgs":
          return Response.json(
            (person.orgs ?? []).map((login, i) => ({ login, id: 1000 + i, description: null })),
          );
        case "/user/teams":
          return Response.json(
            (person.teams ?? []).map(([org, slug], i) => ({
              id: 2000 + i,
              name: slug,
              slug,
              organization: { login: org, id: 3000 + i },
            })),
          );
        default:
          return Response.json({ message: "Not Found" }, { status: 404 });
      }
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    base,
    apiCalls,
    /** Plays the person authorizing the OAuth app: the callback URL GitHub sends the browser to. */
    authorize(authorizationUrl: string, person: GitHubPerson): URL {
      const q = new URL(authorizationUrl).searchParams;
      if (
        !authorizationUrl.startsWith(`${base}/login/oauth/authorize?`) ||
        q.get("client_id") !== options.clientId
      )
        throw new Error(`not an authorization request to the stand-in: ${authorizationUrl}`);
      const code = crypto.randomUUID().replaceAll("-", "").slice(0, 20);
      const redirectUri = q.get("redirect_uri") ?? "";
      codes.set(code, { person, challenge: q.get("code_challenge") ?? "", redirectUri });
      const callback = new URL(redirectUri);
      callback.searchParams.set("code", code);
      callback.searchParams.set("state", q.get("state") ?? "");
      return callback;
    },
    close: () => server.stop(true),
  };
}

export type GitHubStandIn = ReturnType<typeof startGitHubStandIn>;
