import { describeRequest, excerpt, rpcMessage } from "../probe.ts";
import { DISCLOSURE_RULES, VERSION_BANNER_HEADERS, VERSION_NUMBER } from "../rules.ts";
import type { Exchange, Finding } from "../types.ts";

/** Disclosure: stack traces, paths and internal addresses in error answers; version banners in headers. */
export function disclosureFindings(all: readonly Exchange[]): Finding[] {
  const findings: Finding[] = [];
  const errors = all.filter(isErrorAnswer);
  for (const rule of DISCLOSURE_RULES) {
    for (const exchange of errors) {
      const text = `${Object.entries(exchange.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join("\n")}\n${errorText(exchange)}`;
      const match = rule.pattern.exec(text);
      if (!match) continue;
      findings.push({
        id: rule.id,
        severity: rule.severity,
        title: rule.title,
        evidence: {
          request: describeRequest(exchange),
          response: `HTTP ${exchange.status}; … ${excerpt(text.slice(Math.max(0, match.index - 60), match.index + 200), 260)}`,
        },
        remediation: rule.remediation,
      });
      break; // one finding per rule: the first answer that shows it
    }
  }
  for (const exchange of all) {
    const banner = VERSION_BANNER_HEADERS.find((name) => VERSION_NUMBER.test(exchange.headers[name] ?? ""));
    if (banner === undefined) continue;
    findings.push({
      id: "DISCL-004",
      severity: "low",
      title: "Version banner in a response header",
      subject: banner,
      evidence: { request: describeRequest(exchange), response: `${banner}: ${exchange.headers[banner]}` },
      remediation:
        "Do not announce the server software's version; attackers match it to known vulnerabilities.",
    });
    break;
  }
  return findings;
}

function isErrorAnswer(exchange: Exchange): boolean {
  if (exchange.status === undefined) return false;
  if (exchange.status >= 400) return true;
  const message = rpcMessage(exchange);
  return message !== undefined && "error" in message;
}

/** The body, with a JSON-RPC error's message and data unescaped so patterns see real line breaks. */
function errorText(exchange: Exchange): string {
  const error = rpcMessage(exchange)?.error as { message?: unknown; data?: unknown } | undefined;
  if (error === undefined) return exchange.body;
  const data = typeof error.data === "string" ? error.data : JSON.stringify(error.data ?? "");
  return `${exchange.body}\n${String(error.message ?? "")}\n${data}`;
}
