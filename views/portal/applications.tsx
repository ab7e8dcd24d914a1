import type { ConnectedApplication } from "../../src/portal/service.ts";
import { PortalShell, when } from "./shell.tsx";

export interface PortalApplicationsProps {
  username: string;
  csrfToken: string;
  applications: ConnectedApplication[];
  notice?: string;
}

/** The OAuth clients the person allowed, with disconnect (consents and their tokens end). */
export function PortalApplicationsPage({
  username,
  csrfToken,
  applications,
  notice,
}: PortalApplicationsProps) {
  return (
    <PortalShell
      title="Connected applications"
      current="/portal/applications"
      username={username}
      csrfToken={csrfToken}
    >
      <p class="lead">
        MCP clients you allowed to act for you. Disconnecting one ends its access at once (its tokens stop
        working) and it has to ask you again next time.
      </p>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <section class="card">
        {applications.length === 0 ? (
          <p class="empty">No application is connected.</p>
        ) : (
          <div class="table-wrap">
            <table class="list applications">
              <thead>
                <tr>
                  <th>Application</th>
                  <th>Can reach</th>
                  <th>Active sign-ins</th>
                  <th>Since</th>
                  <th>
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {applications.map((app) => (
                  <tr>
                    <td>
                      <strong safe>{app.name}</strong>
                      <br />
                      <code class="muted" safe>
                        {app.clientId}
                      </code>
                    </td>
                    <td>
                      {app.resources.map((resource) => (
                        <code class="resource" safe>
                          {resource}
                        </code>
                      ))}
                    </td>
                    <td>{app.activeRefreshTokens}</td>
                    <td safe>{when(app.since)}</td>
                    <td>
                      <form class="inline" method="post" action="/portal/applications/disconnect">
                        <input type="hidden" name="_csrf" value={csrfToken} />
                        <input type="hidden" name="client_id" value={app.clientId} />
                        <button type="submit" class="secondary danger">
                          Disconnect
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </PortalShell>
  );
}
