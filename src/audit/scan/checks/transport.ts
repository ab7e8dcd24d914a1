import type { Observations } from "../collect.ts";
import { FOREIGN_ORIGIN } from "../collect.ts";
import { answered, describeRequest, describeResponse } from "../probe.ts";
import type { Finding } from "../types.ts";

/** Transport: plain HTTP, Origin validation, session ids, CORS (TLS failures stop the audit: ../audit.ts). */
export function transportFindings(obs: Observations): Finding[] {
  const findings: Finding[] = [];
  const url = new URL(obs.url);
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    findings.push({
      id: "TRANS-001",
      severity: "high",
      title: "Plain HTTP on a non-loopback address",
      evidence: {
        request: `POST ${obs.url}`,
        response: "tokens and tool data cross the network unencrypted",
      },
      remediation: "Serve the MCP endpoint over HTTPS only.",
    });
  }
  if (obs.foreignOrigin && answered(obs.foreignOrigin)) {
    findings.push({
      id: "TRANS-003",
      severity: "high",
      title: "A request with a foreign Origin is accepted (no DNS-rebinding defence)",
      evidence: {
        request: describeRequest(obs.foreignOrigin),
        response: describeResponse(obs.foreignOrigin),
      },
      remediation:
        "Validate the Origin header of every request and refuse (403) origins that are not yours, as the MCP transport specification requires.",
    });
  } else if (obs.foreignOrigin === undefined) {
    findings.push({
      id: "TRANS-006",
      severity: "info",
      title: "Origin validation not checked: no request was accepted",
      evidence: { request: `POST ${obs.url} with Origin: ${FOREIGN_ORIGIN}`, response: "not sent" },
      remediation: "Run the audit with a token the server accepts (--token).",
    });
  }
  const predictable = predictableSessionIds(obs.sessionIds);
  if (predictable) {
    findings.push({
      id: "TRANS-004",
      severity: "medium",
      title: "Session ids look predictable",
      evidence: {
        request: `${obs.sessionIds.length} × POST ${obs.url} initialize`,
        response: `Mcp-Session-Id: ${obs.sessionIds.join(", ")} (${predictable})`,
      },
      remediation:
        "Generate session ids from a cryptographically secure random source (at least 128 bits), e.g. a random UUID.",
    });
  }
  for (const exchange of [obs.preflight, ...(obs.foreignOrigin ? [obs.foreignOrigin] : [])]) {
    const allowOrigin = exchange.headers["access-control-allow-origin"];
    const credentials = exchange.headers["access-control-allow-credentials"];
    if (credentials?.toLowerCase() === "true" && (allowOrigin === FOREIGN_ORIGIN || allowOrigin === "*")) {
      findings.push({
        id: "TRANS-005",
        severity: "high",
        title: "CORS reflects any origin and allows credentials",
        evidence: {
          request: describeRequest(exchange),
          response: describeResponse(exchange, [
            "access-control-allow-origin",
            "access-control-allow-credentials",
          ]),
        },
        remediation:
          "Allow only known origins, and never combine a reflected origin with Access-Control-Allow-Credentials.",
      });
      break;
    }
  }
  return findings;
}

/** Why the ids look predictable, or undefined: short, numeric, or counting up. */
export function predictableSessionIds(ids: readonly string[]): string | undefined {
  if (ids.length === 0) return undefined;
  if (ids.some((id) => id.replace(/[^A-Za-z0-9]/g, "").length < 16)) return "shorter than 16 characters";
  if (ids.every((id) => /^\d+$/.test(id))) return "numbers";
  if (ids.length >= 2 && new Set(ids).size < ids.length) return "repeated";
  if (ids.length >= 2) {
    const tail = (id: string) => Number.parseInt(id.replace(/[^0-9a-f]/gi, "").slice(-8), 16);
    const prefix = (id: string) => id.slice(0, -8);
    const samePrefix = ids.every((id) => prefix(id) === prefix(ids[0] as string));
    const deltas = ids.slice(1).map((id, i) => tail(id) - tail(ids[i] as string));
    if (samePrefix && deltas.every((d) => d > 0 && d < 1000)) return "they count up";
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare.endsWith(".localhost") || bare === "::1" || /^127\./.test(bare);
}
