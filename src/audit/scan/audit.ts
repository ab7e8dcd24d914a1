import { authenticationFindings } from "./checks/auth.ts";
import { disclosureFindings } from "./checks/disclosure.ts";
import { discoveryFindings } from "./checks/discovery.ts";
import { toolDefinitionFindings } from "./checks/tools.ts";
import { transportFindings } from "./checks/transport.ts";
import { collect, type Observations } from "./collect.ts";
import { AuditProbe } from "./probe.ts";
import {
  type AuditReport,
  type Exchange,
  FINDING_SEVERITIES,
  type Finding,
  type FindingSeverity,
  type Grade,
  severityRank,
} from "./types.ts";

export interface AuditOptions {
  /** A bearer token the server should accept (never shown in the report). */
  token?: string;
  /** The credential as headers instead of `token` (a registered server's backend credential; never shown). */
  credentialHeaders?: Record<string, string>;
  timeoutMs: number;
  maxResponseBytes: number;
  descriptionMaxChars: number;
  /** The gateway's SSRF guard: why a URL may not be fetched, or undefined. */
  addressProblem: (url: string) => Promise<string | undefined>;
  /** Tool names of other servers, for shadowing (registered servers only). */
  otherToolNames?: ReadonlySet<string>;
  now?: () => Date;
  /** Told of every request as its answer arrives (progress on the admin page). */
  onExchange?: (exchange: Exchange) => void;
}

/** Audits one MCP server URL: the requests of ./collect.ts, then every check over what came back. */
export async function auditServer(url: string, options: AuditOptions): Promise<AuditReport> {
  const startedAt = (options.now?.() ?? new Date()).toISOString();
  const credential =
    options.credentialHeaders ?? (options.token ? { authorization: `Bearer ${options.token}` } : undefined);
  const probe = new AuditProbe({
    timeoutMs: options.timeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    addressProblem: options.addressProblem,
    secrets: Object.values(credential ?? {}).flatMap((value) => [value, value.replace(/^\S+\s+/, "")]),
    onExchange: options.onExchange,
  });
  const obs = await collect(probe, url, credential);
  const findings = findingsOf(obs, options);
  return report(url, startedAt, findings, obs.tools?.length ?? null);
}

export function findingsOf(
  obs: Observations,
  options: Pick<AuditOptions, "descriptionMaxChars" | "otherToolNames">,
): Finding[] {
  const all = exchangesOf(obs);
  const unreachable = obs.noToken.initialize.error;
  if (unreachable !== undefined) {
    const tls = unreachable.startsWith("TLS:");
    return [
      {
        id: tls ? "TRANS-002" : "CONN-001",
        severity: "high",
        title: tls ? "TLS certificate problem: no request could be sent" : "The server did not answer",
        evidence: { request: `POST ${obs.url} initialize`, response: unreachable },
        remediation: tls
          ? "Use a certificate from a trusted CA that matches the host name and has not expired."
          : "Check the URL, that the server runs, and that the gateway may reach it (MCP_BACKEND_ALLOWED_NETWORKS).",
      },
    ];
  }
  const truncated = all.find((e) => e.truncated);
  return [
    ...authenticationFindings(obs),
    ...discoveryFindings(obs),
    ...transportFindings(obs),
    ...disclosureFindings(all),
    ...(obs.tools
      ? toolDefinitionFindings(obs.tools, {
          descriptionMaxChars: options.descriptionMaxChars,
          otherToolNames: options.otherToolNames,
          source: `POST ${obs.url} tools/list (${obs.toolsVia === "token" ? "with the given token" : obs.toolsVia === "none" ? "without a token" : "with a malformed token"})`,
        })
      : []),
    ...(truncated
      ? [
          {
            id: "CONN-002",
            severity: "info" as const,
            title: "An answer was larger than AUDIT_MAX_RESPONSE_BYTES and was cut",
            evidence: {
              request: `${truncated.request.method} ${truncated.request.url}`,
              response: `HTTP ${truncated.status}`,
            },
            remediation: "Raise AUDIT_MAX_RESPONSE_BYTES to check the whole answer.",
          },
        ]
      : []),
  ].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

function exchangesOf(obs: Observations): Exchange[] {
  const list: (Exchange | undefined)[] = [
    obs.noToken.initialize,
    obs.noToken.toolsList,
    obs.noToken.toolsCall,
    obs.malformedToken.initialize,
    obs.malformedToken.toolsList,
    ...obs.forged.map((f) => f.initialize),
    obs.withToken?.initialize,
    obs.withToken?.toolsList,
    obs.resourceMetadata?.exchange,
    obs.authServerMetadata?.exchange,
    obs.foreignOrigin,
    obs.preflight,
    ...obs.errorProbes,
  ];
  return list.filter((e): e is Exchange => e !== undefined);
}

export function report(
  url: string,
  startedAt: string,
  findings: Finding[],
  toolsListed: number | null,
): AuditReport {
  const counts = Object.fromEntries(FINDING_SEVERITIES.map((s) => [s, 0])) as Record<FindingSeverity, number>;
  for (const finding of findings) counts[finding.severity]++;
  return { url, startedAt, grade: gradeOf(counts), counts, toolsListed, findings };
}

const GRADES: Record<FindingSeverity, Grade> = { info: "A", low: "B", medium: "C", high: "D", critical: "F" };

function gradeOf(counts: Record<FindingSeverity, number>): Grade {
  const worst = [...FINDING_SEVERITIES].reverse().find((s) => counts[s] > 0) ?? "info";
  return GRADES[worst];
}
