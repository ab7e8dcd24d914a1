import { auditServer } from "../../audit/scan/audit.ts";
import { auditOptions } from "../../audit/scan/options.ts";
import type { AuditReport, Exchange } from "../../audit/scan/types.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { backendUrlShapeProblem } from "../../gateway/url-guard.ts";

/** The report as the admin API answers it (`server_id` when a registered server was audited). */
export type PageAuditReport = AuditReport & { server_id?: string };

/** What to audit, checked: ready to run, or why not (shown in the form, nothing fetched). */
export type PreparedAudit =
  | { ok: true; target: string; run: (onExchange: (exchange: Exchange) => void) => Promise<PageAuditReport> }
  | { ok: false; status: number; error: string; code?: "invalid_request" | "credential_unavailable" };

const URL_MAX_LENGTH = 2048;
const TOKEN_MAX_LENGTH = 8192;

/**
 * An audit of any URL with an optional token: the same checks as `POST /admin/api/audit` (URL
 * shape, the backend address guard, tools of other registered servers for shadowing).
 */
export async function prepareUrlAudit(
  ctx: AppContext,
  gateway: Gateway,
  url: string,
  token: string,
): Promise<PreparedAudit> {
  if (url === "") return { ok: false, status: 400, error: "URL: enter the MCP server's URL." };
  if (url.length > URL_MAX_LENGTH)
    return { ok: false, status: 400, error: `URL: at most ${URL_MAX_LENGTH} characters.` };
  const shape = backendUrlShapeProblem(url);
  if (shape) return { ok: false, status: 400, error: `URL: ${shape}` };
  if (token.length > TOKEN_MAX_LENGTH || /[\r\n\0]/.test(token))
    return { ok: false, status: 400, error: "Token: one line of at most 8192 characters." };
  const refused = await gateway.addressGuard.problemOnSave(url);
  if (refused) return { ok: false, status: 400, error: `URL: ${refused}` };
  const sameUrl = (serverId: string) => gateway.registry.byId(serverId)?.url === url;
  const otherToolNames = gateway.pinning.otherServersToolNames(sameUrl);
  return {
    ok: true,
    target: url,
    run: (onExchange) =>
      auditServer(
        url,
        auditOptions(ctx.config, gateway.addressGuard, {
          token: token === "" ? undefined : token,
          otherToolNames,
          onExchange,
        }),
      ),
  };
}

/**
 * A registered Streamable HTTP server, audited with the gateway's own backend credential (the page
 * and `POST /admin/api/mcp-servers/{id}/audit`).
 */
export async function prepareServerAudit(
  ctx: AppContext,
  gateway: Gateway,
  server: McpServer,
): Promise<PreparedAudit> {
  if (server.transport !== "streamable-http") {
    return {
      ok: false,
      status: 400,
      code: "invalid_request",
      error: "Only Streamable HTTP servers can be audited by URL.",
    };
  }
  let credential: Record<string, string>;
  try {
    credential = await gateway.backendAuth.headers(server.id);
  } catch {
    return {
      ok: false,
      status: 502,
      code: "credential_unavailable",
      error: "The server's backend credential could not be obtained.",
    };
  }
  const otherToolNames = gateway.pinning.otherServersToolNames((serverId) => serverId === server.id);
  return {
    ok: true,
    target: server.url,
    run: async (onExchange) => {
      const report = await auditServer(
        server.url,
        auditOptions(ctx.config, gateway.addressGuard, {
          credentialHeaders: Object.keys(credential).length > 0 ? credential : undefined,
          otherToolNames,
          onExchange,
        }),
      );
      return { server_id: server.id, ...report };
    },
  };
}

/** Servers that can be audited from the page (Streamable HTTP, so they have a URL). */
export function auditableServers(gateway: Gateway): McpServer[] {
  return gateway.registry.list().filter((server) => server.transport === "streamable-http");
}
