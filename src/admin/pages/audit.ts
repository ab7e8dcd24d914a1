import { Elysia } from "elysia";
import { AUDIT_RESULTS_SLOT, AuditPage, type AuditPageProps } from "../../../views/admin/audit.tsx";
import { AuditReportView, ProgressItem } from "../../../views/admin/audit-report.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { HTML_SECURITY_HEADERS, htmlResponse } from "../../web/html.ts";
import { auditableServers, type PreparedAudit, prepareServerAudit, prepareUrlAudit } from "./audit-run.ts";
import { type AdminPageIdentity, adminFormPost, adminPageGuard } from "./guard.ts";
import { adminPinningPages } from "./pinning.ts";

/** Longest server id read from the form (longer ones name nothing). */
const ID_MAX_LENGTH = 200;

/**
 * The admin's MCP security audit page (`/admin/audit`): the same audit as the CLI and
 * `POST /admin/api/audit`, from a form. A run answers with the page itself, streamed: each request
 * of the audit is listed as its answer arrives, then the report with "export as JSON". The tool
 * pinning review (./pinning.ts) comes with it: one plugin for the audit's pages.
 */
export function adminAuditPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const post = adminFormPost(ctx);

  const props = (admin: AdminPageIdentity, extra: Partial<AuditPageProps> = {}): AuditPageProps => ({
    username: admin.username,
    csrfToken: admin.csrfToken,
    servers: auditableServers(gateway).map(({ id, name, displayName }) => ({ id, name, displayName })),
    ...extra,
  });

  const run = async (
    admin: AdminPageIdentity,
    prepared: PreparedAudit,
    values: Pick<AuditPageProps, "url" | "serverId">,
  ): Promise<Response> => {
    if (!prepared.ok) {
      return htmlResponse(
        await AuditPage(props(admin, { ...values, errors: [prepared.error] })),
        prepared.status,
      );
    }
    ctx.logger.info({ url: prepared.target, by: admin.identity.principal.id }, "mcp security audit run");
    const page = await AuditPage(props(admin, { ...values, running: true }));
    return streamedAudit(ctx, page, prepared);
  };

  return new Elysia({ name: "admin-pages-audit" })
    .use(adminPinningPages(ctx, gateway))
    .get("/admin/audit", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return htmlResponse(await AuditPage(props(admin)));
    })
    .post(
      "/admin/audit",
      async ({ request }) => {
        const posted = await post(request);
        if (posted instanceof Response) return posted;
        const url = (posted.fields.url ?? "").trim();
        const token = (posted.fields.token ?? "").trim();
        const shownUrl = url.slice(0, 2048);
        return run(posted.admin, await prepareUrlAudit(ctx, gateway, url, token), { url: shownUrl });
      },
      { parse: "none" },
    )
    .post(
      "/admin/audit/server",
      async ({ request }) => {
        const posted = await post(request);
        if (posted instanceof Response) return posted;
        const id = (posted.fields.server_id ?? "").slice(0, ID_MAX_LENGTH);
        const server = gateway.registry.byId(id);
        if (!server) {
          const html = await AuditPage(props(posted.admin, { errors: ["No such server."] }));
          return htmlResponse(html, 404);
        }
        return run(posted.admin, await prepareServerAudit(ctx, gateway, server), { serverId: server.id });
      },
      { parse: "none" },
    );
}

/**
 * The page up to the results slot at once, then one line per request of the audit as its answer
 * arrives, then the report and the rest of the page. A browser renders it as it comes, so the
 * page shows progress without script; a closed tab stops the writing (the audit ends on its own,
 * each request bounded by AUDIT_REQUEST_TIMEOUT_MS).
 */
function streamedAudit(ctx: AppContext, page: string, prepared: Extract<PreparedAudit, { ok: true }>) {
  const cut = page.indexOf(AUDIT_RESULTS_SLOT);
  const head = page.slice(0, cut);
  const tail = page.slice(cut + AUDIT_RESULTS_SLOT.length);
  const encoder = new TextEncoder();
  let open = true;

  const produce = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const write = (text: string) => {
      if (!open) return;
      try {
        controller.enqueue(encoder.encode(text));
      } catch {
        open = false;
      }
    };
    write(head);
    write('<details class="audit-requests" open><summary>Requests sent</summary><ol class="audit-progress">');
    try {
      const report = await prepared.run((exchange) => {
        const item = ProgressItem({ exchange });
        if (typeof item === "string") write(item);
      });
      write("</ol></details>");
      write(await AuditReportView({ report }));
    } catch (error) {
      ctx.logger.error({ err: error, url: prepared.target }, "mcp security audit failed");
      write(
        '</ol></details><div class="errors" role="alert">The audit failed unexpectedly; see the log.</div>',
      );
    }
    write(tail);
    if (open) controller.close();
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      void produce(controller);
    },
    cancel() {
      open = false;
    },
  });
  return new Response(stream, { status: 200, headers: { ...HTML_SECURITY_HEADERS } });
}
