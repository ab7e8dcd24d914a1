import type { ServerHealth } from "../../src/gateway/health.ts";
import type { McpServer } from "../../src/gateway/types.ts";
import { AdminShell } from "./shell.tsx";

export interface ServerListEntry {
  server: McpServer;
  health: ServerHealth;
}

export interface ServersListProps {
  username: string;
  csrfToken: string;
  servers: ServerListEntry[];
  /** What a page action did (a server deleted). */
  notice?: string;
}

/** Where a server is reached: its URL, or the command a stdio server runs. */
export function serverTarget(server: McpServer): string {
  if (server.transport !== "stdio") return server.url;
  const command = server.stdio;
  return command ? [command.command, ...command.args].join(" ") : "";
}

/** Health as one line of text: status, latency and the last error when there is one. */
export function HealthText({ health }: { health: ServerHealth }) {
  return (
    <span class={`badge health-${health.status}`}>
      <span>{health.status}</span>
      {health.latencyMs !== undefined ? <span safe>{` · ${health.latencyMs} ms`}</span> : ""}
    </span>
  );
}

/** `/admin/servers`: every backend MCP server with how it is reached and its latest health. */
export function ServersListPage({ username, csrfToken, servers, notice }: ServersListProps) {
  return (
    <AdminShell title="MCP servers" current="/admin/servers" username={username} csrfToken={csrfToken}>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <p class="actions server-actions">
        <a class="button" href="/admin/servers/new">
          Add a server
        </a>
      </p>
      {servers.length === 0 ? (
        <p class="muted">No MCP server is configured.</p>
      ) : (
        <table class="list admin-servers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Transport</th>
              <th scope="col">URL or command</th>
              <th scope="col">Enabled</th>
              <th scope="col">Health</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {servers.map(({ server, health }) => (
              <tr data-server={server.id}>
                <td>
                  <a href={`/admin/servers/${encodeURIComponent(server.id)}`} safe>
                    {server.name}
                  </a>
                </td>
                <td>{server.transport}</td>
                <td>
                  <code safe>{serverTarget(server)}</code>
                </td>
                <td>{server.enabled ? "yes" : <span class="badge badge-off">no</span>}</td>
                <td>
                  <HealthText health={health} />
                </td>
                <td class="server-error" safe>
                  {health.lastError ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminShell>
  );
}
