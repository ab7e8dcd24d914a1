import type { ConnectionTest } from "../../src/admin/pages/servers-test.ts";
import type { ServerHealth } from "../../src/gateway/health.ts";
import type { McpServer } from "../../src/gateway/types.ts";
import { when } from "../portal/shell.tsx";
import { DiscoveredPlaceholder } from "./servers-discovered.tsx";
import { ServerGrants, type ServerGrantsProps } from "./servers-grants.tsx";
import { HealthText, serverTarget } from "./servers-list.tsx";
import { AdminShell } from "./shell.tsx";

export interface ServerDetailProps {
  username: string;
  csrfToken: string;
  server: McpServer;
  health: ServerHealth;
  /** The outcome of "Test connection", on the page its POST answers. */
  test?: ConnectionTest;
  /** What a page action did. */
  notice?: string;
  grants: Pick<ServerGrantsProps, "grants" | "toolNames" | "values" | "errors">;
}

function TestResult({ test }: { test: ConnectionTest }) {
  if (!test.ok) {
    return (
      <div class="server-test" role="alert">
        <p class="error">
          <strong>Connection failed</strong> <span safe>{`after ${test.latencyMs} ms:`}</span>
        </p>
        <pre class="server-test-error" safe>
          {test.error}
        </pre>
      </div>
    );
  }
  return (
    <div class="server-test" role="status">
      <p class="notice" safe>
        {`Connected in ${test.latencyMs} ms: ${test.tools.length} tool${test.tools.length === 1 ? "" : "s"} listed.`}
      </p>
      {test.more ? <p class="hint">The backend has more tools: only its first page is shown.</p> : ""}
      {test.tools.length > 0 ? (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {test.tools.map((tool) => (
              <tr data-tool>
                <td>
                  <code safe>{tool.name}</code>
                </td>
                <td safe>{tool.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        ""
      )}
    </div>
  );
}

/** `/admin/servers/{id}`: one server's settings (its credential only by kind), health and a connection test. */
export function ServerDetailPage({
  username,
  csrfToken,
  server,
  health,
  test,
  notice,
  grants,
}: ServerDetailProps) {
  const base = `/admin/servers/${encodeURIComponent(server.id)}`;
  return (
    <AdminShell
      title={`Server ${server.name}`}
      current="/admin/servers"
      username={username}
      csrfToken={csrfToken}
    >
      <p>
        <a href="/admin/servers">← All servers</a>
      </p>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <section class="card" aria-labelledby="settings">
        <h2 id="settings">Settings</h2>
        <dl class="facts">
          <dt>Name</dt>
          <dd safe>{server.name}</dd>
          <dt>Display name</dt>
          <dd safe>{server.displayName}</dd>
          <dt>Transport</dt>
          <dd>{server.transport}</dd>
          <dt>{server.transport === "stdio" ? "Command" : "URL"}</dt>
          <dd>
            <code safe>{serverTarget(server)}</code>
          </dd>
          {server.transport === "stdio" && server.stdio?.cwd ? (
            <>
              <dt>Working directory</dt>
              <dd safe>{server.stdio.cwd}</dd>
            </>
          ) : (
            ""
          )}
          {server.transport === "stdio" && server.stdio && server.stdio.envNames.length > 0 ? (
            <>
              <dt>Environment</dt>
              <dd safe>{`${server.stdio.envNames.join(", ")} (values not shown)`}</dd>
            </>
          ) : (
            ""
          )}
          <dt>Enabled</dt>
          <dd>{server.enabled ? "yes" : "no"}</dd>
          <dt>Authentication required</dt>
          <dd>{server.authRequired ? "yes" : "no"}</dd>
          <dt>Open to all users</dt>
          <dd>{server.openToAll ? "yes" : "no"}</dd>
          <dt>Scopes</dt>
          <dd safe>{server.scopes.join(" ") || "none"}</dd>
          <dt>Timeout</dt>
          <dd safe>{`${server.timeoutMs} ms`}</dd>
          <dt>User context</dt>
          <dd>{server.userContext}</dd>
          <dt>Backend credential</dt>
          <dd safe>
            {server.credentialKind === "none" ? "none" : `${server.credentialKind} (value not shown)`}
          </dd>
          <dt>Managed by</dt>
          <dd>{server.managedBy === "config" ? "the config file" : "the admin API"}</dd>
        </dl>
        {server.managedBy === "config" ? (
          <p class="hint">
            This server comes from the config file (mcp_services): it is changed there, not here, so it cannot
            be edited or deleted in the admin.
          </p>
        ) : (
          <div class="actions server-actions">
            <a class="button" href={`${base}/edit`}>
              Edit
            </a>
            <a class="button danger" href={`${base}/delete`}>
              Delete…
            </a>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="health">
        <h2 id="health">Health</h2>
        <p>
          <HealthText health={health} />
          {health.checkedAt !== undefined ? (
            <span class="muted" safe>{` checked ${when(health.checkedAt)}`}</span>
          ) : (
            ""
          )}
        </p>
        {health.lastError ? (
          <pre class="server-test-error" safe>
            {health.lastError}
          </pre>
        ) : (
          ""
        )}
      </section>
      <section class="card" aria-labelledby="test">
        <h2 id="test">Test connection</h2>
        <p class="hint">
          Runs initialize and tools/list against the backend as the gateway does: with its credential, through
          the backend address rules, within its timeout.
        </p>
        {/* With htmx the result replaces only its own part of the page, with progress shown meanwhile;
            without script the form posts and the whole page comes back with the result. */}
        <form
          method="post"
          action={`${base}/test`}
          class="inline"
          hx-post={`${base}/test`}
          hx-select="#test-result"
          hx-target="#test-result"
          hx-swap="outerHTML"
          hx-indicator="find .htmx-indicator"
          hx-disabled-elt="find button"
        >
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit">Test connection</button>{" "}
          <span class="htmx-indicator" role="status">
            Connecting…
          </span>
        </form>
        <div id="test-result">{test ? <TestResult test={test} /> : ""}</div>
      </section>
      <section class="card" aria-labelledby="discovered-title">
        <h2 id="discovered-title">Tools, resources and prompts</h2>
        <DiscoveredPlaceholder server={server} />
      </section>
      <ServerGrants csrfToken={csrfToken} server={server} {...grants} />
    </AdminShell>
  );
}
