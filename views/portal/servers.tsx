import type { ClientConfig } from "../../src/admin/client-config.ts";
import type { PortalServer } from "../../src/portal/service.ts";
import { ClientConfigList } from "./client-configs.tsx";
import { PortalShell } from "./shell.tsx";

export interface PortalServersProps {
  username: string;
  csrfToken: string;
  servers: PortalServer[];
  aggregate: { url: string; separator: string; clients: ClientConfig[] };
}

/** The servers the person may use, each with its URL and client configurations, and `/mcp`. */
export function PortalServersPage({ username, csrfToken, servers, aggregate }: PortalServersProps) {
  return (
    <PortalShell title="Your MCP servers" current="/portal/" username={username} csrfToken={csrfToken}>
      <p class="lead">
        Point an MCP client at a URL below: it finds out how to sign in on its own. Clients that cannot sign
        in (scripts, CI, Codex with a token variable) use a <a href="/portal/tokens">personal access token</a>
        .
      </p>
      {servers.length === 0 ? (
        <div class="card">
          <p class="empty">
            No MCP server is shared with you yet. Ask an administrator to grant you access to one.
          </p>
        </div>
      ) : (
        <>
          <section class="card aggregate" aria-label="All your servers">
            <h2>All your servers at one URL</h2>
            <p class="aggregate-url">
              <code safe>{aggregate.url}</code>
            </p>
            <p class="hint">
              Every tool of the servers below, named{" "}
              <code safe>{`{server}${aggregate.separator}{tool}`}</code>.
            </p>
            <ClientConfigList clients={aggregate.clients} />
          </section>
          <section class="servers portal-servers" aria-label="Servers">
            {servers.map((server) => (
              <article class="server" data-server={server.name}>
                <header class="server-head">
                  <h3 safe>{server.displayName}</h3>
                  <code class="muted" safe>
                    {server.name}
                  </code>
                </header>
                <p class="server-url">
                  <code safe>{server.url}</code>
                </p>
                <ClientConfigList clients={server.clients} />
              </article>
            ))}
          </section>
        </>
      )}
    </PortalShell>
  );
}
