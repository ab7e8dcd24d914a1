import { Elysia } from "elysia";
import { PinningPage } from "../../../views/admin/pinning.tsx";
import { reviewCurrentDefinitions } from "../../audit/pinning/approve.ts";
import { PINNING_MODES, type PinningMode } from "../../audit/pinning/definitions.ts";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import { htmlResponse } from "../../web/html.ts";
import { type AdminPageIdentity, adminFormPost, adminPageGuard } from "./guard.ts";
import { pendingDigest, pinningServers } from "./pinning-data.ts";

const ID_MAX_LENGTH = 200;

/**
 * The admin's review of tool-definition pinning (`/admin/pinning`): the differences between the
 * approved and the current definitions of each server with pinning on, "approve current tools",
 * "check now" and each server's mode. Every POST carries the session's CSRF token.
 */
export function adminPinningPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const post = adminFormPost(ctx);

  const page = async (
    admin: AdminPageIdentity,
    status = 200,
    extra: { notice?: string; errors?: string[] } = {},
  ): Promise<Response> => {
    const html = await PinningPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      servers: pinningServers(gateway),
      ...extra,
    });
    return htmlResponse(html, status);
  };

  /** The POST's admin and server, or the page to answer with (login, 403, 404). */
  const serverPost = async (
    request: Request,
    id: string,
  ): Promise<{ admin: AdminPageIdentity; fields: Record<string, string>; server: McpServer } | Response> => {
    const posted = await post(request);
    if (posted instanceof Response) return posted;
    const server = gateway.registry.byId(id.slice(0, ID_MAX_LENGTH));
    if (!server) return page(posted.admin, 404, { errors: ["No such server."] });
    return { ...posted, server };
  };

  return new Elysia({ name: "admin-pages-pinning" })
    .get("/admin/pinning", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return page(admin);
    })
    .post(
      "/admin/pinning/:id/approve",
      async ({ request, params }) => {
        const posted = await serverPost(request, params.id);
        if (posted instanceof Response) return posted;
        const { admin, fields, server } = posted;
        // Asked now, silently: what changed since the page was shown is stored for review.
        const error = await reviewCurrentDefinitions(ctx.config, gateway, server, true);
        if (error !== undefined) {
          return page(admin, 502, {
            errors: [`${server.name}: the definitions could not be fetched: ${error}`],
          });
        }
        // Only what the admin saw is approved: a backend that changed in between is shown again.
        if (pendingDigest(gateway.pinning.view(server.id)) !== fields.seen) {
          return page(admin, 409, {
            errors: [
              `${server.name}: the definitions differ from what the page showed. Nothing was approved: review the differences below and approve again.`,
            ],
          });
        }
        const by = admin.identity.principal.id;
        const result = gateway.pinning.approve(server.id, by, fields.accept_critical === "1");
        ctx.logger.info(
          { serverId: server.id, by, approved: result.approved.length, withheld: result.withheld.length },
          "tool definitions approved",
        );
        const withheld =
          result.withheld.length === 0
            ? ""
            : ` Withheld (a critical finding): ${result.withheld.map((w) => w.name).join(", ")}; tick "Also approve definitions with a critical finding" to approve them.`;
        return page(admin, 200, {
          notice: `${server.name}: ${result.approved.length} definitions approved.${withheld}`,
        });
      },
      { parse: "none" },
    )
    .post(
      "/admin/pinning/:id/check",
      async ({ request, params }) => {
        const posted = await serverPost(request, params.id);
        if (posted instanceof Response) return posted;
        const { admin, server } = posted;
        if (server.transport !== "streamable-http") {
          return page(admin, 400, {
            errors: [`${server.name}: only Streamable HTTP servers can be asked now.`],
          });
        }
        const error = await reviewCurrentDefinitions(ctx.config, gateway, server, false);
        if (error !== undefined) {
          return page(admin, 502, {
            errors: [`${server.name}: the definitions could not be fetched: ${error}`],
          });
        }
        const pending = gateway.pinning.view(server.id).changes.length;
        return page(admin, 200, {
          notice: `${server.name}: checked now; ${pending === 0 ? "nothing awaits review" : `${pending} awaiting review`}.`,
        });
      },
      { parse: "none" },
    )
    .post(
      "/admin/pinning/:id/mode",
      async ({ request, params }) => {
        const posted = await serverPost(request, params.id);
        if (posted instanceof Response) return posted;
        const { admin, fields, server } = posted;
        const mode = fields.mode as PinningMode;
        if (!PINNING_MODES.includes(mode)) {
          return page(admin, 400, { errors: [`Mode: one of ${PINNING_MODES.join(", ")}.`] });
        }
        gateway.pinning.setMode(server.id, mode);
        ctx.logger.info(
          { serverId: server.id, mode, by: admin.identity.principal.id },
          "tool pinning mode set",
        );
        return page(admin, 200, { notice: `${server.name}: pinning mode ${mode}.` });
      },
      { parse: "none" },
    );
}
