import type { Config } from "../../config/load.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { AuditProbe } from "../scan/probe.ts";
import { PINNED_KINDS } from "./definitions.ts";
import { fetchCurrentDefinitions } from "./fetch-current.ts";
import type { ApprovalResult } from "./service.ts";

/**
 * "Approve current tools": a Streamable HTTP server is asked for its tools, prompts and resource
 * templates now (with the gateway's own credential, through the address guard, within the audit's
 * limits); for stdio and legacy SSE servers, what passed through the gateway since is approved.
 * Definitions with a critical audit finding are withheld unless `acceptCritical`.
 */
export async function approveCurrentDefinitions(
  config: Config,
  gateway: Gateway,
  server: McpServer,
  by: string,
  acceptCritical: boolean,
): Promise<{ ok: true; result: ApprovalResult } | { ok: false; error: string }> {
  const fetched = await reviewCurrentDefinitions(config, gateway, server, true);
  if (fetched !== undefined) return { ok: false, error: fetched };
  return { ok: true, result: gateway.pinning.approve(server.id, by, acceptCritical) };
}

/**
 * Asks a Streamable HTTP server for its current definitions and reviews them: for an approval
 * silently, otherwise (a check) as traffic is reviewed, changes stored and reported. Returns the
 * error when the server could not be asked; stdio and legacy SSE servers are not asked.
 */
export async function reviewCurrentDefinitions(
  config: Config,
  gateway: Gateway,
  server: McpServer,
  forApproval: boolean,
): Promise<string | undefined> {
  if (server.transport !== "streamable-http") return undefined;
  try {
    const headers = await gateway.backendAuth.headers(server.id);
    const probe = new AuditProbe({
      timeoutMs: config.auditRequestTimeoutMs,
      maxResponseBytes: config.auditMaxResponseBytes,
      addressProblem: (url) => gateway.addressGuard.problemOnSave(url),
      secrets: Object.values(headers),
    });
    const current = await fetchCurrentDefinitions(probe, server.url, headers);
    for (const kind of PINNED_KINDS) {
      const items = current[kind];
      if (items) gateway.pinning.review(server.id, server.name, kind, items, forApproval);
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
