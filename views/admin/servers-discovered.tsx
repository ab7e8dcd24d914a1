import type { DiscoveredItem, Discovery } from "../../src/admin/pages/servers-discovery.ts";
import type { McpServer } from "../../src/gateway/types.ts";
import { AdminShell } from "./shell.tsx";

/** The fragment's URL: htmx loads it into the server's page; without script it is a page of its own. */
export const discoveredUrl = (server: McpServer) =>
  `/admin/servers/${encodeURIComponent(server.id)}/discovered`;

/** Where the discovered lists go on the server page: loaded when the page is, so the page never waits. */
export function DiscoveredPlaceholder({ server }: { server: McpServer }) {
  return (
    <div id="discovered" hx-get={discoveredUrl(server)} hx-trigger="load" hx-swap="outerHTML">
      <p class="muted" aria-busy="true">
        Asking the backend for its tools, resources and prompts…
      </p>
      <p>
        <a href={discoveredUrl(server)}>List the tools, resources and prompts</a>
      </p>
    </div>
  );
}

function ItemTable({ kind, items }: { kind: "tool" | "prompt"; items: DiscoveredItem[] }) {
  const title = kind === "tool" ? "Tools" : "Prompts";
  return (
    <>
      <h3 safe>{`${title} (${items.length})`}</h3>
      {items.length === 0 ? (
        <p class="muted" safe>{`No ${kind}s.`}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr data-discovered={kind}>
                <td>
                  <code safe>{item.name}</code>
                </td>
                <td safe>{item.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The discovered lists (or the exact error), escaped: names and descriptions come from the backend. */
export function DiscoveredLists({ discovery }: { discovery: Discovery }) {
  if (!discovery.ok) {
    return (
      <div id="discovered" role="alert">
        <p class="error">
          <strong>The backend could not be listed.</strong>
        </p>
        <pre class="server-test-error" safe>
          {discovery.error}
        </pre>
      </div>
    );
  }
  return (
    <div id="discovered">
      <ItemTable kind="tool" items={discovery.tools} />
      <h3 safe>{`Resources (${discovery.resources.length})`}</h3>
      {discovery.resources.length === 0 ? (
        <p class="muted">No resources.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">URI</th>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {discovery.resources.map((resource) => (
              <tr data-discovered={resource.template ? "template" : "resource"}>
                <td>
                  <code safe>{resource.uri}</code>
                  {resource.template ? <span class="muted"> (template)</span> : ""}
                </td>
                <td safe>{resource.name}</td>
                <td safe>{resource.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {discovery.moreResources ? (
        <p class="hint">The backend has more resources: only the first page is shown.</p>
      ) : (
        ""
      )}
      <ItemTable kind="prompt" items={discovery.prompts} />
    </div>
  );
}

/** The lists as a page of their own (a browser without script followed the link). */
export function DiscoveredPage(props: {
  username: string;
  csrfToken: string;
  server: McpServer;
  discovery: Discovery;
}) {
  return (
    <AdminShell
      title={`Server ${props.server.name}: tools, resources and prompts`}
      current="/admin/servers"
      username={props.username}
      csrfToken={props.csrfToken}
    >
      <p>
        <a href={`/admin/servers/${encodeURIComponent(props.server.id)}`}>← Back to the server</a>
      </p>
      <section class="card">
        <DiscoveredLists discovery={props.discovery} />
      </section>
    </AdminShell>
  );
}
