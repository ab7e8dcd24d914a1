import type { Observations } from "../collect.ts";
import { answered, describeRequest, describeResponse } from "../probe.ts";
import type { Exchange, Finding } from "../types.ts";

const REQUIRE_AUTH =
  "Require a valid OAuth access token (audience = this server) on every request; put the server behind an authorization gateway such as this one.";

/** Authentication: what the server does without a token, with bad tokens, and with the given one. */
export function authenticationFindings(obs: Observations): Finding[] {
  const findings: Finding[] = [];
  const { noToken } = obs;
  const open = answered(noToken.initialize);
  if (open) {
    findings.push(
      finding(
        "AUTH-001",
        "critical",
        "initialize is answered without a token",
        noToken.initialize,
        REQUIRE_AUTH,
      ),
    );
    if (noToken.toolsList && answered(noToken.toolsList)) {
      findings.push(
        finding(
          "AUTH-002",
          "critical",
          "tools/list is answered without a token",
          noToken.toolsList,
          REQUIRE_AUTH,
        ),
      );
    }
  }
  if (reachedServer(noToken.toolsCall)) {
    findings.push(
      finding(
        "AUTH-003",
        "critical",
        "tools/call reaches the server without a token",
        noToken.toolsCall,
        REQUIRE_AUTH,
      ),
    );
  }
  // A server open to everyone accepts any token too: that is the finding above, not three more.
  if (!open) {
    if (answered(obs.malformedToken.initialize)) {
      findings.push(
        finding(
          "AUTH-004",
          "critical",
          "A malformed bearer token is accepted",
          obs.malformedToken.initialize,
          "Validate every bearer token (signature, issuer, expiry, audience) before answering.",
        ),
      );
    }
    for (const forged of obs.forged) {
      if (!answered(forged.initialize)) continue;
      findings.push(
        finding(
          "AUTH-005",
          "critical",
          `A forged JWT (${forged.kind}) is accepted`,
          forged.initialize,
          "Verify the token's signature against the authorization server's keys, reject `alg: none`, check `exp` and that `aud` is this server's resource URI (RFC 8707).",
          forged.kind,
        ),
      );
    }
    const refusals = [noToken.initialize, obs.malformedToken.initialize].filter((e) => e.status === 401);
    const withoutChallenge = refusals.find(
      (e) => !/resource_metadata=/i.test(e.headers["www-authenticate"] ?? ""),
    );
    if (withoutChallenge) {
      findings.push({
        id: "AUTH-006",
        severity: "medium",
        title: "401 without WWW-Authenticate resource_metadata (RFC 9728)",
        evidence: {
          request: describeRequest(withoutChallenge),
          response: describeResponse(withoutChallenge, ["www-authenticate"]),
        },
        remediation:
          'Answer 401 with `WWW-Authenticate: Bearer resource_metadata="…/.well-known/oauth-protected-resource…"` so MCP clients can discover how to log in.',
      });
    }
  }
  if (obs.withToken && !answered(obs.withToken.initialize)) {
    findings.push(
      finding(
        "AUTH-007",
        "info",
        "The given token was refused: the checks that need access were skipped",
        obs.withToken.initialize,
        "Give a token this server accepts (audience = its resource URI) to audit its tools.",
      ),
    );
  }
  return findings;
}

/** The call got past authentication: a JSON-RPC answer (a result, or the server's own error) rather than 401/403. */
function reachedServer(exchange: Exchange): boolean {
  if (exchange.status === undefined || exchange.status === 401 || exchange.status === 403) return false;
  if (answered(exchange)) return true;
  return (
    exchange.status === 200 &&
    /"error"\s*:/.test(exchange.body) &&
    /-3260[12]|not found|unknown tool/i.test(exchange.body)
  );
}

function finding(
  id: string,
  severity: Finding["severity"],
  title: string,
  exchange: Exchange,
  remediation: string,
  subject?: string,
): Finding {
  return {
    id,
    severity,
    title,
    ...(subject ? { subject } : {}),
    evidence: {
      request: describeRequest(exchange),
      response: describeResponse(exchange, ["www-authenticate"]),
    },
    remediation,
  };
}
