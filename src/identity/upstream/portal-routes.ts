import { Elysia } from "elysia";
import { PortalIdentitiesPage } from "../../../views/portal/identities.tsx";
import type { AppContext } from "../../context.ts";
import { htmlResponse, seeOther } from "../../web/html.ts";
import { csrfRejected, readBrowserForm } from "../../web/pages.ts";
import { type BrowserIdentity, browserIdentity, sameOriginRequest } from "../browser-auth.ts";
import { providerDisplayName } from "./presets.ts";
import type { UpstreamIdentity } from "./service.ts";

/**
 * `/portal/identities`: the person's linked upstream identities, and unlinking one. The last way
 * to sign in (no password, one identity) is kept: unlinking it would lock the person out.
 */
export function upstreamPortalRoutes(ctx: AppContext, upstream: UpstreamIdentity) {
  const page = async (
    identity: BrowserIdentity,
    status = 200,
    extra: { notice?: string; errors?: string[] } = {},
  ) => {
    const names = new Map(upstream.all().map((p) => [p.slug, providerDisplayName(p.fields)]));
    const html = await PortalIdentitiesPage({
      username: identity.principal.username,
      csrfToken: ctx.browserSessions.csrfToken(identity.session),
      identities: upstream.identities.ofUser(identity.principal.id).map((row) => ({
        provider: row.provider,
        providerName: names.get(row.provider) ?? row.provider,
        subject: row.subject,
        email: row.email,
        lastLoginAt: row.lastLoginAt,
      })),
      ...extra,
    });
    return htmlResponse(html, status);
  };

  return new Elysia({ name: "upstream-portal" })
    .get("/portal/identities", ({ request }) => {
      const identity = browserIdentity(ctx, request);
      if (!identity) return seeOther("/login?return_to=%2Fportal%2Fidentities");
      return page(identity);
    })
    .post(
      "/portal/identities/unlink",
      async ({ request }) => {
        const form = await readBrowserForm(ctx, request);
        if (!form.ok) return form.response;
        const identity = browserIdentity(ctx, request);
        if (!identity) return seeOther("/login?return_to=%2Fportal%2Fidentities");
        const csrfOk =
          ctx.browserSessions.checkCsrf(identity.session, form.value._csrf) &&
          sameOriginRequest(request, ctx.config.publicUrl);
        if (!csrfOk) return csrfRejected();
        const userId = identity.principal.id;
        const linked = upstream.identities.ofUser(userId);
        const row = linked.find(
          (r) => r.provider === form.value.provider && r.subject === form.value.subject,
        );
        if (!row) return page(identity, 404, { errors: ["This identity is not linked to your account."] });
        const hasPassword = ctx.users.byId(userId)?.passwordHash != null;
        if (!hasPassword && linked.length === 1) {
          return page(identity, 409, {
            errors: [
              "This is your only way to sign in (your account has no password): it cannot be unlinked.",
            ],
          });
        }
        upstream.unlink(row.provider, row.subject);
        ctx.logger.info({ userId, provider: row.provider }, "upstream identity unlinked by its user");
        return page(identity, 200, { notice: "Unlinked: that account no longer signs you in here." });
      },
      { parse: "none" },
    );
}
