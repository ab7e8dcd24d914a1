import type { Observations } from "../collect.ts";
import { answered, describeRequest, describeResponse, excerpt } from "../probe.ts";
import type { Finding } from "../types.ts";

/**
 * Discovery and the authorization server (RFC 9728, RFC 8414, MCP authorization). Only for a
 * server that asks for a token: an open server has nothing to discover (its finding is AUTH-001).
 */
export function discoveryFindings(obs: Observations): Finding[] {
  if (answered(obs.noToken.initialize)) return [];
  const findings: Finding[] = [];
  const prm = obs.resourceMetadata;
  if (prm?.document === undefined) {
    findings.push({
      id: "DISC-001",
      severity: "high",
      title: "No protected resource metadata (RFC 9728)",
      evidence: prm
        ? { request: describeRequest(prm.exchange), response: describeResponse(prm.exchange) }
        : { request: `GET ${obs.url} metadata`, response: "no URL to fetch" },
      remediation:
        "Serve /.well-known/oauth-protected-resource (with the server's path) naming `resource` and `authorization_servers`, and point to it from the 401's WWW-Authenticate.",
    });
    return findings;
  }
  const evidence = {
    request: describeRequest(prm.exchange),
    response: excerpt(JSON.stringify(prm.document), 300),
  };
  const resource = prm.document.resource;
  if (typeof resource !== "string" || normalise(resource) !== normalise(obs.url)) {
    findings.push({
      id: "DISC-002",
      severity: "high",
      title: "The metadata's `resource` does not match the server URL",
      evidence,
      remediation:
        "Set `resource` to the exact URL clients use; MCP clients refuse metadata of another resource, and tokens get the wrong audience.",
    });
  }
  const as = obs.authServerMetadata;
  if (as?.document === undefined) {
    findings.push({
      id: "DISC-003",
      severity: "high",
      title: "Authorization server metadata (RFC 8414) not reachable",
      evidence: as
        ? { request: describeRequest(as.exchange), response: describeResponse(as.exchange) }
        : evidence,
      remediation:
        "List a reachable issuer in `authorization_servers` that serves /.well-known/oauth-authorization-server.",
    });
    return findings;
  }
  const asEvidence = {
    request: describeRequest(as.exchange),
    response: excerpt(JSON.stringify(as.document), 400),
  };
  const methods = as.document.code_challenge_methods_supported;
  const list = Array.isArray(methods) ? methods.filter((m): m is string => typeof m === "string") : [];
  if (!list.includes("S256")) {
    findings.push({
      id: "DISC-004",
      severity: "high",
      title: "PKCE S256 not advertised (`code_challenge_methods_supported`)",
      evidence: asEvidence,
      remediation: "Support PKCE with S256 and advertise it; MCP clients refuse servers that do not.",
    });
  }
  if (list.includes("plain")) {
    findings.push({
      id: "DISC-005",
      severity: "high",
      title: "PKCE `plain` advertised",
      evidence: asEvidence,
      remediation: "Accept only S256: `plain` sends the verifier's value in the authorization request.",
    });
  }
  if (typeof as.document.registration_endpoint === "string") {
    findings.push({
      id: "DISC-006",
      severity: "info",
      title: "Dynamic client registration (RFC 7591) is open",
      evidence: asEvidence,
      remediation:
        "Fine for MCP clients; make sure consent screens name the client and that registrations are rate limited.",
    });
  }
  if (as.document.client_id_metadata_document_supported === true) {
    findings.push({
      id: "DISC-007",
      severity: "info",
      title: "Client ID metadata documents (CIMD) supported",
      evidence: asEvidence,
      remediation: "No action: clients may identify themselves by an HTTPS URL.",
    });
  }
  return findings;
}

function normalise(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/$/, "")}`;
  } catch {
    return url;
  }
}
