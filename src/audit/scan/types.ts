/** The severities of audit findings, lowest first (the order the grade and the exit status use). */
export const FINDING_SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

/** What shows a finding: the request sent and the part of the answer, secrets masked. */
export interface Evidence {
  request: string;
  response?: string;
}

export interface Finding {
  /** Stable id of the check or rule (e.g. `AUTH-001`, `TOOL-INJ-001`): what CI allow-lists refer to. */
  id: string;
  severity: FindingSeverity;
  title: string;
  /** Which tool, prompt or header the finding is about, when it is about one. */
  subject?: string;
  evidence: Evidence;
  remediation: string;
}

/** One request of the audit and what came back (bodies cut at the size limit, secrets masked). */
export interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Set when no answer came: timeout, refused address, TLS or connection error. */
  error?: string;
  /** The answer was longer than the size limit and was cut there. */
  truncated?: boolean;
}

/** A tool as `tools/list` describes it (only the fields the checks read). */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: Record<string, unknown>;
}

/** Letter grade: A nothing above info, B low, C medium, D high, F critical. */
export type Grade = "A" | "B" | "C" | "D" | "F";

export interface AuditReport {
  url: string;
  startedAt: string;
  grade: Grade;
  counts: Record<FindingSeverity, number>;
  /** Tools the audit could list (with the given token, or without one on an open server). */
  toolsListed: number | null;
  findings: Finding[];
}

export function severityRank(severity: FindingSeverity): number {
  return FINDING_SEVERITIES.indexOf(severity);
}
