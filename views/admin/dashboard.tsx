import type { ClientConfig } from "../../src/admin/client-config.ts";
import type { DashboardServer } from "../../src/admin/dashboard.ts";
import { Layout } from "../layout.tsx";

export interface DashboardProps {
  username: string;
  csrfToken: string;
  counts: { users: number; active: number; admins: number };
  /** The backend servers, each at its own URL, with health and client configurations. */
  servers: DashboardServer[];
  /** The aggregated endpoint `/mcp` (every server the user may use) and its client configurations. */
  aggregate: { url: string; separator: string; clients: ClientConfig[] };
  /** Discovery URLs (clients find them on their own; shown for operators). */
  endpoints: { authorizationServer: string; jwks: string };
}

const HEALTH_WORDS: Record<DashboardServer["health"]["status"], string> = {
  online: "online",
  degraded: "degraded",
  offline: "offline",
  unknown: "not checked yet",
};

function ServerCard({ server }: { server: DashboardServer }) {
  const status = server.enabled ? server.health.status : "disabled";
  const words = server.enabled ? HEALTH_WORDS[server.health.status] : "disabled";
  return (
    <article class="server" data-server={server.name}>
      <header class="server-head">
        <h3 safe>{server.displayName}</h3>
        <span class={`badge health-${status}`} safe>
          {words}
        </span>
      </header>
      <p class="server-url">
        <code safe>{server.url}</code>
      </p>
      {server.health.lastError ? (
        <p class="hint" safe>
          Last check: {server.health.lastError}
        </p>
      ) : (
        ""
      )}
      <ClientConfigs clients={server.clients} />
    </article>
  );
}

function ClientConfigs({ clients }: { clients: ClientConfig[] }) {
  return (
    <details class="clients">
      <summary>Client configuration</summary>
      {clients.map((config) => (
        <section class="client">
          <h4 safe>{config.client}</h4>
          <p class="hint" safe>
            In {config.where}:
          </p>
          <pre class="snippet">
            <code safe>{config.snippet}</code>
          </pre>
          {config.note ? (
            <p class="hint" safe>
              {config.note}
            </p>
          ) : (
            ""
          )}
        </section>
      ))}
    </details>
  );
}

/** The admin's landing page: a few numbers, the servers clients can use, and the discovery URLs. */
export function DashboardPage({
  username,
  csrfToken,
  counts,
  servers,
  aggregate,
  endpoints,
}: DashboardProps) {
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
      <section class="card" aria-label="MCP servers">
        <h2>Connect an MCP client</h2>
        <p class="lead">
          Each server has its own URL, and <code>/mcp</code> offers them all at once. Point an MCP client at
          one: the client discovers how to sign in on its own.
        </p>
        {servers.length === 0 ? (
          ""
        ) : (
          <div class="aggregate">
            <h3>All your servers at one URL</h3>
            <p class="aggregate-url">
              <code safe>{aggregate.url}</code>
            </p>
            <p class="hint">
              Every tool of every server a user may use, named{" "}
              <code safe>{`{server}${aggregate.separator}{tool}`}</code>.
            </p>
            <ClientConfigs clients={aggregate.clients} />
          </div>
        )}
        {servers.length === 0 ? (
          <p class="empty">
            No MCP servers yet. Add one with <code>POST /admin/api/mcp-servers</code> (see the README's quick
            start) or under <code>mcp_services</code> in the YAML configuration.
          </p>
        ) : (
          <div class="servers">
            {servers.map((server) => (
              <ServerCard server={server} />
            ))}
          </div>
        )}
      </section>
      <section class="card">
        <h2>Discovery</h2>
        <dl class="endpoints">
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
