import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

/**
 * Where the streamed answer of an audit continues: the page is cut here and the results go in
 * (the same literal is written in the page below: the renderer passes a literal through untouched).
 */
export const AUDIT_RESULTS_SLOT = "<!--audit-results-->";

export interface AuditPageProps {
  username: string;
  csrfToken: string;
  /** Registered Streamable HTTP servers (audited with the gateway's own backend credential). */
  servers: { id: string; name: string; displayName: string }[];
  /** The URL typed last (the token is never echoed back). */
  url?: string;
  /** The server chosen last. */
  serverId?: string;
  errors?: string[];
  /** An audit is running: the page carries the slot its results are streamed into. */
  running?: boolean;
}

/**
 * The MCP security audit: a URL (and an optional token) or a registered server. The forms are
 * plain posts: the answer is this page, streamed, with each request of the audit listed as its
 * answer arrives and the report at the end, so it works and shows progress without JavaScript.
 */
export function AuditPage({
  username,
  csrfToken,
  servers,
  url,
  serverId,
  errors = [],
  running = false,
}: AuditPageProps) {
  return (
    <AdminShell title="MCP security audit" current="/admin/audit" username={username} csrfToken={csrfToken}>
      <p class="lead">
        Checks whether an MCP server lets anyone in (authentication, discovery, transport, disclosure) and
        what its tools tell the model (hidden instructions, invisible characters, shadowing names). A few
        dozen requests; no real tool is called. Changed tool definitions of registered servers are reviewed
        under <a href="/admin/pinning">Tool pinning</a>.
      </p>
      <FormErrors errors={errors} />
      <div class="audit-forms">
        <form class="card stack" method="post" action="/admin/audit">
          <h2>Audit a URL</h2>
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            MCP server URL
            <input
              type="url"
              name="url"
              required
              maxlength="2048"
              placeholder="https://mcp.example.com/mcp"
              value={url}
              autocomplete="off"
            />
          </label>
          <label>
            Bearer token <span class="hint">(optional; never shown back or stored)</span>
            <input type="password" name="token" maxlength="8192" autocomplete="off" />
          </label>
          <div>
            <button type="submit">Run audit</button>
          </div>
        </form>
        <form class="card stack" method="post" action="/admin/audit/server">
          <h2>Audit a registered server</h2>
          <input type="hidden" name="_csrf" value={csrfToken} />
          {servers.length === 0 ? (
            <p class="hint">No Streamable HTTP server is registered.</p>
          ) : (
            <>
              <label>
                Server
                <select name="server_id">
                  {servers.map((server) => (
                    <option value={server.id} selected={server.id === serverId} safe>
                      {`${server.name} — ${server.displayName}`}
                    </option>
                  ))}
                </select>
              </label>
              <p class="hint">With the gateway's own backend credential for it.</p>
              <div>
                <button type="submit">Audit server</button>
              </div>
            </>
          )}
        </form>
      </div>
      {running ? (
        <div class="audit-live" aria-live="polite">
          <p class="audit-running">Running the audit… each request appears below as its answer arrives.</p>
          {"<!--audit-results-->"}
        </div>
      ) : (
        ""
      )}
    </AdminShell>
  );
}
