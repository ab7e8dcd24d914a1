import { Elysia } from "elysia";
import { SetupPage } from "../../views/web/setup.tsx";
import { requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { PASSWORD_MAX_LENGTH } from "../identity/password-policy.ts";
import { checkFormToken, issueFormToken } from "./form-token.ts";
import { type HeaderList, htmlResponse, seeOther } from "./html.ts";
import { csrfRejected, formRateLimit, messageResponse, readBrowserForm } from "./pages.ts";
import { startBrowserSession } from "./session.ts";
import { passwordRulesText, SetupService } from "./setup-service.ts";

/** `/setup`: the first-run wizard. Exists only while no administrator does; a 404 afterwards. */
export function setupRoutes(ctx: AppContext) {
  const setup = new SetupService(ctx);
  setup.prepare();

  const gone = () => {
    // However the administrator came to exist, the code is of no use any more.
    setup.code.remove();
    return messageResponse(404, {
      title: "Not found",
      message: "This gateway is already set up.",
      link: { href: "/login?return_to=/admin/", label: "Sign in" },
    });
  };

  const setupForm = async (
    request: Request,
    status = 200,
    fields: { setupCode?: string; username?: string; email?: string; errors?: string[] } = {},
    extra: HeaderList = [],
  ) => {
    const form = issueFormToken(ctx, request);
    const html = await SetupPage({ csrfToken: form.token, passwordRules: passwordRulesText(ctx), ...fields });
    return htmlResponse(html, status, [["Set-Cookie", form.setCookie], ...extra]);
  };

  return new Elysia({ name: "web-setup" })
    .get("/setup", ({ request }) => (setup.isOpen() ? setupForm(request) : gone()))
    .post(
      "/setup",
      async ({ request, server }) => {
        if (!setup.isOpen()) return gone();
        const form = await readBrowserForm(ctx, request);
        if (!form.ok) return form.response;
        const {
          _csrf,
          setup_code = "",
          username = "",
          email = "",
          password = "",
          password_confirm = "",
        } = form.value;
        if (!checkFormToken(ctx, request, _csrf)) return csrfRejected();
        const shown = { username: username.slice(0, 64), email: email.slice(0, 254) };
        const limited = formRateLimit(ctx, "login", request, server);
        if (limited) return setupForm(request, 429, { ...shown, errors: [limited.message] }, limited.headers);
        if (password.length > PASSWORD_MAX_LENGTH || password_confirm.length > PASSWORD_MAX_LENGTH) {
          return setupForm(request, 400, {
            ...shown,
            errors: [`Password: at most ${PASSWORD_MAX_LENGTH} characters.`],
          });
        }
        const result = await setup.createFirstAdmin({
          username: username.trim(),
          email: email.trim(),
          password,
          passwordConfirm: password_confirm,
          setupCode: setup_code.slice(0, 64),
        });
        if (!result.ok) {
          if (result.kind === "closed") return gone();
          if (result.kind === "wrong-code") {
            ctx.logger.warn("setup wizard: a wrong setup code was submitted");
            ctx.securityEvents.record({
              type: "login_failure",
              severity: "medium",
              ...requestMeta(ctx, request, server),
              details: { via: "/setup", reason: "wrong_setup_code" },
            });
          }
          const keptCode = result.kind === "wrong-code" ? {} : { setupCode: setup_code.slice(0, 64) };
          return setupForm(request, 400, { ...shown, ...keptCode, errors: result.errors });
        }
        ctx.logger.info({ user_id: result.user.id }, "first administrator created by the setup wizard");
        ctx.securityEvents.record({
          type: "user_registered",
          userId: result.user.id,
          ...requestMeta(ctx, request, server),
          details: { via: "/setup", isAdmin: true },
        });
        const cookie = startBrowserSession(ctx, request, result.user.id);
        return seeOther("/admin/", [["Set-Cookie", cookie]]);
      },
      { parse: "none" },
    );
}
