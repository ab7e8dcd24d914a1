import type { PageAuditReport } from "../../src/admin/pages/audit-run.ts";
import { visible } from "../../src/audit/scan/checks/tools.ts";
import { type Exchange, FINDING_SEVERITIES, type Finding } from "../../src/audit/scan/types.ts";

/**
 * One finding. Everything in it may quote the audited server (hostile tool names and descriptions:
 * HTML, script, Unicode tags, ANSI escapes): escaped, and invisible characters shown as `\u{…}`.
 */
function FindingItem({ finding }: { finding: Finding }) {
  return (
    <li class={`finding sev-${finding.severity}`} data-finding-id={finding.id}>
      <div class="finding-head">
        <span class={`severity sev-${finding.severity}`}>{finding.severity}</span>
        <code class="finding-id" safe>
          {finding.id}
        </code>
        <strong class="finding-title" safe>
          {visible(finding.title)}
        </strong>
      </div>
      {finding.subject !== undefined ? (
        <p class="finding-subject">
          About <code safe>{visible(finding.subject)}</code>
        </p>
      ) : (
        ""
      )}
      <dl class="finding-evidence">
        <dt>Request</dt>
        <dd>
          <code safe>{visible(finding.evidence.request)}</code>
        </dd>
        {finding.evidence.response !== undefined ? (
          <>
            <dt>Answer</dt>
            <dd>
              <pre class="evidence" safe>
                {visible(finding.evidence.response)}
              </pre>
            </dd>
          </>
        ) : (
          ""
        )}
        <dt>Fix</dt>
        <dd safe>{finding.remediation}</dd>
      </dl>
    </li>
  );
}

/** Where "export as JSON" points: the report exactly as `POST /admin/api/audit` answers it. */
export function reportDownload(report: PageAuditReport): { href: string; filename: string } {
  let host = "server";
  try {
    host = new URL(report.url).host;
  } catch {
    // the report of a URL the page refused is never rendered; keep the default name anyway
  }
  const stamp = report.startedAt.slice(0, 19).replace(/[^0-9T]/g, "");
  return {
    href: `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify(report, null, 2))}`,
    filename: `mcp-audit-${host.replace(/[^A-Za-z0-9.-]/g, "_")}-${stamp}.json`,
  };
}

/** The summary grade, the counts per severity, "export as JSON" and every finding. */
export function AuditReportView({ report }: { report: PageAuditReport }) {
  const download = reportDownload(report);
  const counts = [...FINDING_SEVERITIES].reverse().filter((severity) => report.counts[severity] > 0);
  return (
    <section class="card audit-report" aria-labelledby="audit-report-title">
      <header class="audit-summary">
        <div class={`grade grade-${report.grade}`} title="A: nothing above info … F: a critical finding">
          <span class="visually-hidden">Grade </span>
          <span class="grade-letter">{report.grade}</span>
        </div>
        <div>
          <h2 id="audit-report-title">
            Audit of <code safe>{report.url}</code>
          </h2>
          <p class="hint">
            <span safe>
              {counts.length === 0
                ? "No findings."
                : counts.map((severity) => `${report.counts[severity]} ${severity}`).join(", ")}
            </span>
            {" · "}
            <span safe>
              {report.toolsListed === null
                ? "tools could not be listed"
                : `${report.toolsListed} tools listed and checked`}
            </span>
            {" · started "}
            <span safe>{report.startedAt.replace("T", " ").slice(0, 19)} UTC</span>
          </p>
        </div>
        <a class="button secondary" href={download.href} download={download.filename}>
          Export as JSON
        </a>
      </header>
      {report.findings.length === 0 ? (
        <p>No findings: the server refused every unauthenticated request and its tools look clean.</p>
      ) : (
        <ol class="findings">
          {report.findings.map((finding) => (
            <FindingItem finding={finding} />
          ))}
        </ol>
      )}
    </section>
  );
}

/** The JSON-RPC method a request of the audit named, when its body has one. */
function rpcMethod(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  return /"method"\s*:\s*"([^"]{1,80})"/.exec(body)?.[1];
}

/** One line of the audit's progress: a request sent and what came back. */
export function ProgressItem({ exchange }: { exchange: Exchange }) {
  const method = rpcMethod(exchange.request.body);
  const outcome =
    exchange.error !== undefined
      ? exchange.error
      : `HTTP ${exchange.status ?? "?"}${exchange.truncated ? " (cut at the size limit)" : ""}`;
  return (
    <li class={exchange.error !== undefined ? "failed" : undefined}>
      <code safe>{exchange.request.method}</code> <span safe>{visible(exchange.request.url)}</span>
      {method !== undefined ? (
        <>
          {" "}
          <code safe>{visible(method)}</code>
        </>
      ) : (
        ""
      )}
      {" → "}
      <span safe>{visible(outcome)}</span>
    </li>
  );
}
