import type {
  DiffLine,
  FieldDifference,
  PendingChange,
  PinningServer,
} from "../../src/admin/pages/pinning-data.ts";
import { PINNING_MODES } from "../../src/audit/pinning/definitions.ts";
import { when } from "../portal/shell.tsx";
import { FormErrors } from "../web/form-errors.tsx";
import { AdminShell } from "./shell.tsx";

export interface PinningPageProps {
  username: string;
  csrfToken: string;
  servers: PinningServer[];
  notice?: string;
  errors?: string[];
}

const MODE_WORDS: Record<PinningServer["mode"], string> = {
  off: "off",
  warn: "warn (changes pass and are reported)",
  "block-changed": "block-changed (changes are hidden until approved)",
};

function Lines({ lines, side }: { lines: DiffLine[] | undefined; side: "approved" | "current" }) {
  if (lines === undefined) return <p class="hint">(absent)</p>;
  return (
    <pre class={`diff diff-${side}`}>
      {lines.map((line) => (
        <span class={line.marked ? "line marked" : "line"} safe>
          {`${line.text}\n`}
        </span>
      ))}
    </pre>
  );
}

function FieldDiff({ field, isNew }: { field: FieldDifference; isNew: boolean }) {
  return (
    <div class="field-diff" data-field={field.field}>
      <h5 safe>{field.field}</h5>
      <div class={isNew ? "diff-pair single" : "diff-pair"}>
        {isNew ? (
          ""
        ) : (
          <div>
            <p class="diff-label">Approved</p>
            <Lines lines={field.approved} side="approved" />
          </div>
        )}
        <div>
          <p class="diff-label">Current</p>
          <Lines lines={field.current} side="current" />
        </div>
      </div>
    </div>
  );
}

function ChangeItem({ change }: { change: PendingChange }) {
  const isNew = change.change === "new";
  return (
    <li class="pin-change" data-kind={change.kind} data-name={change.name}>
      <div class="finding-head">
        <span class={`badge change-${change.change}`} safe>
          {isNew ? `new ${change.kind.replace("_", " ")}` : `changed ${change.kind.replace("_", " ")}`}
        </span>
        <code class="pin-name" safe>
          {change.name}
        </code>
        <span class="hint" safe>
          seen {when(change.seenAt)}
        </span>
      </div>
      {change.findings.length > 0 ? (
        <ul class="pin-findings">
          {change.findings.map((finding) => (
            <li>
              <span class={`severity sev-${finding.severity}`}>{finding.severity}</span>{" "}
              <code safe>{finding.id}</code> <span safe>{finding.title}</span>
            </li>
          ))}
        </ul>
      ) : (
        ""
      )}
      {change.fields.map((field) => (
        <FieldDiff field={field} isNew={isNew} />
      ))}
    </li>
  );
}

function ModeForm({ server, csrfToken }: { server: PinningServer; csrfToken: string }) {
  return (
    <form
      class="inline pin-mode"
      method="post"
      action={`/admin/pinning/${encodeURIComponent(server.id)}/mode`}
    >
      <input type="hidden" name="_csrf" value={csrfToken} />
      <label class="choice">
        <span class="visually-hidden" safe>
          Pinning mode of {server.name}
        </span>
        <select name="mode">
          {PINNING_MODES.map((mode) => (
            <option value={mode} selected={mode === server.mode}>
              {mode}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        Set mode
      </button>
    </form>
  );
}

function ServerSection({ server, csrfToken }: { server: PinningServer; csrfToken: string }) {
  const base = `/admin/pinning/${encodeURIComponent(server.id)}`;
  const critical = server.changes.some((c) => c.findings.some((f) => f.severity === "critical"));
  return (
    <section class="card pin-server" data-server={server.name}>
      <header class="server-head">
        <h2>
          <span safe>{server.displayName}</span>{" "}
          <code class="hint" safe>
            {server.name}
          </code>
        </h2>
        <ModeForm server={server} csrfToken={csrfToken} />
      </header>
      <p class="hint pin-status" safe>
        {`Mode ${MODE_WORDS[server.mode]} · ${server.approvedCount} approved definitions · ${
          server.changes.length === 0 ? "nothing awaits review" : `${server.changes.length} awaiting review`
        }`}
      </p>
      {server.changes.length > 0 ? (
        <ol class="pin-changes">
          {server.changes.map((change) => (
            <ChangeItem change={change} />
          ))}
        </ol>
      ) : (
        ""
      )}
      <div class="pin-actions">
        <form method="post" action={`${base}/approve`} class="pin-approve">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <input type="hidden" name="seen" value={server.digest} />
          {critical ? (
            <label class="choice">
              <input type="checkbox" name="accept_critical" value="1" /> Also approve definitions with a
              critical finding
            </label>
          ) : (
            ""
          )}
          <button type="submit">Approve current tools</button>
        </form>
        {server.transport === "streamable-http" ? (
          <>
            <form method="post" action={`${base}/check`} class="inline">
              <input type="hidden" name="_csrf" value={csrfToken} />
              <button type="submit" class="secondary">
                Check now
              </button>
            </form>
            <form method="post" action="/admin/audit/server" class="inline">
              <input type="hidden" name="_csrf" value={csrfToken} />
              <input type="hidden" name="server_id" value={server.id} />
              <button type="submit" class="secondary">
                Run security audit
              </button>
            </form>
          </>
        ) : (
          ""
        )}
      </div>
    </section>
  );
}

/**
 * Tool-definition pinning: for each server with pinning on, the tools (prompts, resource
 * templates) whose definition changed or that are new, approved vs current, and "approve current
 * tools"; the other servers with their mode. Definitions come from backends that may be hostile:
 * every value is escaped and invisible characters are shown as `\u{…}`.
 */
export function PinningPage({ username, csrfToken, servers, notice, errors = [] }: PinningPageProps) {
  const pinned = servers.filter((s) => s.mode !== "off");
  const off = servers.filter((s) => s.mode === "off");
  return (
    <AdminShell title="Tool pinning" current="/admin/pinning" username={username} csrfToken={csrfToken}>
      <p class="lead">
        A server's tools can change after they were approved (a "rug pull"). With pinning on, a changed or new
        definition is reported (<code>warn</code>) or hidden and its calls refused until approved here (
        <code>block-changed</code>). "Approve current tools" asks a Streamable HTTP server for its definitions
        now and approves them; if they differ from what this page showed, nothing is approved and the page
        shows the new difference.
      </p>
      {notice !== undefined ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <FormErrors errors={errors} />
      {pinned.length === 0 ? <p>No server has pinning on.</p> : ""}
      {pinned.map((server) => (
        <ServerSection server={server} csrfToken={csrfToken} />
      ))}
      {off.length > 0 ? (
        <section class="card">
          <h2>Servers without pinning</h2>
          <div class="table-wrap">
            <table class="list pin-off">
              <thead>
                <tr>
                  <th>Server</th>
                  <th>Mode</th>
                </tr>
              </thead>
              <tbody>
                {off.map((server) => (
                  <tr data-server={server.name}>
                    <td>
                      <span safe>{server.displayName}</span>{" "}
                      <code class="hint" safe>
                        {server.name}
                      </code>
                    </td>
                    <td>
                      <ModeForm server={server} csrfToken={csrfToken} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : (
        ""
      )}
    </AdminShell>
  );
}
