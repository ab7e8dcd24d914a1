import { visible } from "./checks/tools.ts";
import type { AuditReport } from "./types.ts";

/** The audit as a person reads it in a terminal (the same content as the JSON, laid out). */
export function textReport(report: AuditReport): string {
  const lines: string[] = [];
  lines.push(`MCP security audit of ${report.url}`);
  lines.push(`Grade ${report.grade}  (${summary(report)})`);
  lines.push(
    report.toolsListed === null
      ? "Tools: could not be listed"
      : `Tools: ${report.toolsListed} listed and checked`,
  );
  lines.push("");
  if (report.findings.length === 0) lines.push("No findings.");
  for (const finding of report.findings) {
    const subject = finding.subject ? ` [${visible(finding.subject)}]` : "";
    lines.push(`${finding.severity.toUpperCase().padEnd(8)} ${finding.id}${subject}: ${finding.title}`);
    lines.push(`         request:  ${visible(finding.evidence.request)}`);
    if (finding.evidence.response !== undefined)
      lines.push(`         answer:   ${visible(finding.evidence.response)}`);
    lines.push(`         fix:      ${finding.remediation}`);
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function summary(report: AuditReport): string {
  const parts = (["critical", "high", "medium", "low", "info"] as const)
    .filter((s) => report.counts[s] > 0)
    .map((s) => `${report.counts[s]} ${s}`);
  return parts.length === 0 ? "no findings" : parts.join(", ");
}

/** True when the report has a critical finding: the CLI exits 1 (CI fails). */
export function hasCritical(report: AuditReport): boolean {
  return report.counts.critical > 0;
}
