import type { ClientConfig } from "../../src/admin/client-config.ts";
import type { DashboardSecurityEvent, DashboardServer, QueueHealth } from "../../src/admin/dashboard.ts";
import type { HourOfActivity } from "../../src/admin/pages/activity-hourly.ts";
import { ClientConfigList } from "../portal/client-configs.tsx";
import { ActivityChart } from "./activity-chart.tsx";
import { AdminShell } from "./shell.tsx";

export interface DashboardProps {
  username: string;
  csrfToken: string;
  counts: { users: number; active: number; admins: number };
  clients: { total: number; dynamic: number; preRegistered: number; pending: number };
  /** Requests per hour over the last 24 h; undefined when activity is not stored. */
  traffic: HourOfActivity[] | undefined;
  securityEvents: DashboardSecurityEvent[];
  queues: QueueHealth;
  /** Epoch ms of this view (for "ago" in the security events). */
  now: number;
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
      <ClientConfigList clients={server.clients} />
    </article>
  );
}

function Stat({ value, label }: { value: number; label: string }) {
  return (
    <div class="stat">
      <div class="value" safe>
        {String(value)}
      </div>
      <div class="label" safe>
        {label}
      </div>
    </div>
  );
}

function Traffic({ traffic }: { traffic: HourOfActivity[] | undefined }) {
  return (
    <section class="card" aria-label="Traffic">
      <h2>MCP requests, last 24 hours</h2>
      {traffic === undefined ? (
        <p class="empty">
          MCP activity is not stored (<code>MCP_LOG_DB_ENABLED=false</code>): the chart needs it. The{" "}
          <a href="/admin/activity">live activity</a> and <code>/metrics</code> still count requests.
        </p>
      ) : (
        <ActivityChart hours={traffic} />
      )}
      <p>
        <a href="/admin/activity">Watch MCP activity live →</a>
      </p>
    </section>
  );
}

function ago(now: number, at: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

function SecurityEvents({ events, now }: { events: DashboardSecurityEvent[]; now: number }) {
  return (
    <section class="card" aria-label="Recent security events">
      <h2>Recent security events</h2>
      {events.length === 0 ? (
        <p class="empty">No security events recorded yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="list security-events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Severity</th>
                <th scope="col">User</th>
                <th scope="col">IP</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr data-severity={event.severity}>
                  <td>
                    <time datetime={new Date(event.at).toISOString()} safe>
                      {ago(now, event.at)}
                    </time>
                  </td>
                  <td>{event.type}</td>
                  <td>
                    <span class={`severity sev-${event.severity}`}>{event.severity}</span>
                  </td>
                  <td safe>{event.username ?? event.userId ?? "—"}</td>
                  <td safe>{event.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="hint">
        <a href="/admin/security">All security events, with filters →</a> (also{" "}
        <code>GET /admin/api/security-logs</code>).
      </p>
    </section>
  );
}

function Queues({ queues }: { queues: QueueHealth }) {
  const trouble = queues.activityDropped > 0 || queues.securityDropped > 0;
  return (
    <section class={`card queues${trouble ? " queues-dropping" : ""}`} aria-label="Write queues">
      <h2>Write queues</h2>
      <dl class="endpoints">
        <dt>MCP activity</dt>
        <dd>
          {queues.activityStored
            ? `${queues.activityDepth} waiting, ${queues.activityDropped} dropped since start`
            : "not stored (MCP_LOG_DB_ENABLED=false)"}
        </dd>
        <dt>Security events</dt>
        <dd safe>{`${queues.securityDepth} waiting, ${queues.securityDropped} dropped since start`}</dd>
        <dt>Live activity viewers</dt>
        <dd safe>{String(queues.liveStreams)}</dd>
      </dl>
      {trouble ? (
        <p class="errors">
          Rows were dropped because a queue was full: raise <code>ACTIVITY_QUEUE_MAX</code> /{" "}
          <code>SECURITY_LOG_QUEUE_MAX</code> or shorten the flush intervals.
        </p>
      ) : (
        ""
      )}
    </section>
  );
}

/** The admin's landing page: counts, traffic, security events, queues, and the servers' URLs. */
export function DashboardPage({
  username,
  csrfToken,
  counts,
  clients,
  traffic,
  securityEvents,
  queues,
  now,
  servers,
  aggregate,
  endpoints,
}: DashboardProps) {
  const online = servers.filter((s) => s.enabled && s.health.status === "online").length;
  return (
    <AdminShell title="Dashboard" current="/admin/" username={username} csrfToken={csrfToken}>
      <p class="lead">
        Welcome, <strong safe>{username}</strong>.
      </p>
      <section class="stats dashboard-stats" aria-label="Counts">
        <Stat value={counts.users} label="users" />
        <Stat value={counts.active} label="active" />
        <Stat value={counts.admins} label="administrators" />
        <Stat value={servers.length} label="MCP servers" />
        <Stat value={online} label="online" />
        <Stat value={clients.total} label="OAuth clients" />
      </section>
      <p class="hint" safe>
        {`OAuth clients: ${clients.dynamic} registered dynamically, ${clients.preRegistered} pre-registered, ${clients.pending} waiting for approval.`}
      </p>
      <Traffic traffic={traffic} />
      <div class="dashboard-pair">
        <SecurityEvents events={securityEvents} now={now} />
        <Queues queues={queues} />
      </div>
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
            <ClientConfigList clients={aggregate.clients} />
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
    </AdminShell>
  );
}
