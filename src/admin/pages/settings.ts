import { Elysia } from "elysia";
import { SettingsPage } from "../../../views/admin/settings.tsx";
import type { RuntimeSettingView } from "../../config/runtime/service.ts";
import type { AppContext } from "../../context.ts";
import { RotationRefused } from "../../oauth/keys.ts";
import { htmlResponse, seeOther } from "../../web/html.ts";
import { type AdminPageIdentity, adminFormPost, adminPageGuard, recordPageChange } from "./guard.ts";

const NOTICES: Record<string, string> = {
  saved: "Settings saved. They apply from the next request.",
  unchanged: "Nothing changed.",
};

const shown = (settings: RuntimeSettingView[]) =>
  Object.fromEntries(settings.map((s) => [s.key, String(s.value)]));

/**
 * `/admin/settings`: the runtime settings (src/config/runtime) in one form that degrades to a
 * full-page POST (only the fields whose value differs are sent to the runtime settings, so an
 * untouched default is not stored as the admin's), and the signing keys with "rotate".
 */
export function adminSettingsPages(ctx: AppContext) {
  const guard = adminPageGuard(ctx);
  const post = adminFormPost(ctx);

  const page = async (
    admin: AdminPageIdentity,
    status = 200,
    extra: { values?: Record<string, string>; errors?: Record<string, string>; notice?: string } = {},
  ) => {
    const settings = ctx.runtimeSettings.list();
    const html = await SettingsPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      settings,
      values: { ...shown(settings), ...extra.values },
      errors: extra.errors ?? {},
      keys: ctx.keys.list(),
      algorithm: ctx.keys.algorithm,
      notice: extra.notice,
    });
    return htmlResponse(html, status);
  };

  return new Elysia({ name: "admin-pages-settings" })
    .get("/admin/settings", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      const params = new URL(request.url).searchParams;
      const done = params.get("done") ?? "";
      const rotated = params.has("rotated")
        ? `New signing key ${ctx.keys.signingKey().kid} is active.`
        : undefined;
      return page(admin, 200, { notice: rotated ?? NOTICES[done] });
    })
    .post("/admin/settings", async ({ request, server }) => {
      const posted = await post(request);
      if (posted instanceof Response) return posted;
      const { admin, fields } = posted;
      const current = shown(ctx.runtimeSettings.list());
      const change: Record<string, string> = {};
      for (const [key, value] of Object.entries(fields)) {
        if (current[key] !== value.trim()) change[key] = value;
      }
      if (Object.keys(change).length === 0) return seeOther("/admin/settings?done=unchanged");
      const result = ctx.runtimeSettings.update(change, admin.identity.principal.id);
      if (!result.ok) {
        const errors = Object.fromEntries(result.problems.map((p) => [p.key, p.message]));
        // A key that is not a field of the form (unknown, or fixed by a start source) is named on top.
        const fieldKeys = new Set(
          ctx.runtimeSettings
            .list()
            .filter((s) => s.editable)
            .map((s) => s.key as string),
        );
        const stray = result.problems.filter((p) => !fieldKeys.has(p.key));
        if (stray.length > 0)
          errors[""] = stray.map((p) => `${p.key.slice(0, 100)}: ${p.message}`).join("; ");
        return page(admin, result.problems.every((p) => p.fixed) ? 409 : 400, { values: fields, errors });
      }
      const before = Object.fromEntries(Object.entries(result.changed).map(([k, v]) => [k, v?.before]));
      const after = Object.fromEntries(Object.entries(result.changed).map(([k, v]) => [k, v?.after]));
      await recordPageChange(ctx, admin, { request, server, params: {}, fields }, before, after);
      return seeOther("/admin/settings?done=saved");
    })
    .post("/admin/settings/rotate-key", async ({ request, server }) => {
      const posted = await post(request);
      if (posted instanceof Response) return posted;
      const { admin, fields } = posted;
      const before = ctx.keys.signingKey().kid;
      try {
        const key = await ctx.keys.rotateLive(ctx.clock.now());
        await recordPageChange(
          ctx,
          admin,
          { request, server, params: {}, fields },
          { activeKid: before },
          { activeKid: key.kid },
        );
        return seeOther("/admin/settings?rotated=1");
      } catch (error) {
        if (!(error instanceof RotationRefused)) throw error;
        return page(admin, 409, { errors: { "": error.message } });
      }
    });
}
