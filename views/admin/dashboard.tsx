import { Layout } from "../layout.tsx";

export interface DashboardProps {
  username: string;
  csrfToken: string;
  counts: { users: number; active: number; admins: number };
  /** URLs an operator points MCP clients at. */
  endpoints: { mcp: string; protectedResource: string; authorizationServer: string; jwks: string };
}

/** The admin's landing page: a few numbers and the addresses clients need. */
export function DashboardPage({ username, csrfToken, counts, endpoints }: DashboardProps) {
  return (
    <Layout title="Dashboard" csrfToken={csrfToken} username={username}>
      <h1>Dashboard</h1>
      <p class="lead">
        Welcome, <strong safe>{username}</strong>.
      </p>
      <section class="stats" aria-label="Users">
        <div class="stat">
          <div class="value">{counts.users}</div>
          <div class="label">users</div>
        </div>
        <div class="stat">
          <div class="value">{counts.active}</div>
          <div class="label">active</div>
        </div>
        <div class="stat">
          <div class="value">{counts.admins}</div>
          <div class="label">administrators</div>
        </div>
      </section>
      <section class="card">
        <h2>Connect an MCP client</h2>
        <p class="lead">
          Point MCP clients at the endpoint below; they discover how to sign in on their own.
        </p>
        <dl class="endpoints">
          <dt>MCP endpoint</dt>
          <dd>
            <code safe>{endpoints.mcp}</code>
          </dd>
          <dt>Protected resource metadata</dt>
          <dd>
            <code safe>{endpoints.protectedResource}</code>
          </dd>
          <dt>Authorization server metadata</dt>
          <dd>
            <code safe>{endpoints.authorizationServer}</code>
          </dd>
          <dt>Signing keys (JWKS)</dt>
          <dd>
            <a href="/.well-known/jwks.json">
              <code safe>{endpoints.jwks}</code>
            </a>
          </dd>
        </dl>
      </section>
    </Layout>
  );
}
