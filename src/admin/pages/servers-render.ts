import { ServerDetailPage } from "../../../views/admin/servers-detail.tsx";
import type { ServerGrantView } from "../../../views/admin/servers-grants.tsx";
import { ServersListPage } from "../../../views/admin/servers-list.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { htmlResponse } from "../../web/html.ts";
import { messageResponse } from "../../web/pages.ts";
import type { AdminPageIdentity } from "./guard.ts";
import { cachedToolNames } from "./servers-discovery.ts";
import type { FormErrors } from "./servers-form.ts";
import type { ConnectionTest } from "./servers-test.ts";

export interface DetailExtras {
  notice?: string;
  test?: ConnectionTest;
  /** A refused grant form: what was submitted and its problems. */
  grantForm?: { values: Record<string, string>; errors: FormErrors };
}

/** The 404 page of a server that does not exist (deleted meanwhile, or a wrong id). */
export const serverNotFound = () =>
  messageResponse(404, { title: "Not found", message: "No such MCP server (deleted?)." });

/** The servers list page, with each server's last health check and an optional notice. */
export async function serversListPage(gateway: Gateway, admin: AdminPageIdentity, notice?: string) {
  const servers = gateway.registry
    .list()
    .map((server) => ({ server, health: gateway.health.get(server.id) }));
  return htmlResponse(
    await ServersListPage({ username: admin.username, csrfToken: admin.csrfToken, servers, notice }),
  );
}

/** How the page renders one server's page, shared by the routes that answer with it. */
export function serverDetailRenderer(ctx: AppContext, gateway: Gateway) {
  const grantViews = (serverId: string): ServerGrantView[] =>
    gateway.policy.grantsOf(serverId).map((grant) => ({
      id: grant.id,
      principalType: grant.principalType,
      principalName:
        (grant.principalType === "user"
          ? ctx.users.byId(grant.principalId)?.username
          : gateway.groups.byId(grant.principalId)?.name) ?? grant.principalId,
      allowedTools: grant.allowedTools,
      deniedTools: grant.deniedTools,
    }));

  return async (admin: AdminPageIdentity, server: McpServer, status = 200, extras: DetailExtras = {}) =>
    htmlResponse(
      await ServerDetailPage({
        username: admin.username,
        csrfToken: admin.csrfToken,
        server,
        health: gateway.health.get(server.id),
        test: extras.test,
        notice: extras.notice,
        grants: {
          grants: grantViews(server.id),
          toolNames: cachedToolNames(gateway, server.id),
          values: extras.grantForm?.values ?? {},
          errors: extras.grantForm?.errors ?? {},
        },
      }),
      status,
    );
}
