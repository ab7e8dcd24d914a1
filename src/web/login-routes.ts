import { Elysia } from "elysia";
import { LoginPage } from "../../views/web/login.tsx";
import { requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import {
  browserIdentity,
  readCookie,
  sameOriginRequest,
  sessionCookieName,
} from "../identity/browser-auth.ts";
import { PASSWORD_MAX_LENGTH } from "../identity/password-policy.ts";
import type { AuthorizationSummary } from "../oauth/authorize.ts";
import { signIn } from "../policy/rate-limits/sign-in.ts";
import { checkFormToken, issueFormToken } from "./form-token.ts";
import { type HeaderList, htmlResponse, seeOther } from "./html.ts";
import { csrfRejected, formRateLimit, readBrowserForm } from "./pages.ts";
import { safeReturnTo } from "./return-to.ts";
import { clearedSessionCookie, startBrowserSession } from "./session.ts";

const INVALID_LOGIN = "Invalid username or password.";

/** Tells what a `return_to` is about when it is an OAuth authorization (from the oauth module). */
export type DescribeReturnTo = (returnTo: string) => Promise<AuthorizationSummary | undefined>;

/**
 * `/` (where a visitor belongs), `/login` (the form every browser sign-in goes through, the OAuth
 * authorize endpoint included) and `/logout`.
 */
export function loginRoutes(
  ctx: AppContext,
  describeReturnTo?: DescribeReturnTo,
  upstreamProviders: () => { slug: string; displayName: string }[] = () => [],
) {
  const { config } = ctx;

  const loginForm = async (
    request: Request,
    returnTo: string,
    status = 200,
    fields: { username?: string; errors?: string[] } = {},
    extra: HeaderList = [],
  ) => {
    const form = issueFormToken(ctx, request);
    const authorization = await describeReturnTo?.(returnTo);
    const html = await LoginPage({
      csrfToken: form.token,
      returnTo,
      authorization,
      providers: upstreamProviders(),
      localLogin: config.localLoginEnabled,
      ...fields,
    });
    // Signing in during an authorization may end at the client (remembered consent: POST /login
    // → 303 → 302 to its redirect URI): form-action names that target (see formActionSource).
    return htmlResponse(html, status, [["Set-Cookie", form.setCookie], ...extra], {
      formTarget: authorization?.redirectUri,
    });
  };

  return new Elysia({ name: "web-login" })
    .get("/", ({ request }) => {
      if (!ctx.users.hasAdmin()) return seeOther("/setup");
      // Administrators land on the dashboard, everyone else on their portal.
      const identity = browserIdentity(ctx, request);
      if (identity) return seeOther(identity.principal.isAdmin ? "/admin/" : "/portal/");
      return seeOther("/login?return_to=/admin/");
    })
    .get("/login", ({ request }) => {
      const returnTo = safeReturnTo(new URL(request.url).searchParams.get("return_to"));
      // Already signed in: nothing to ask, go on.
      if (browserIdentity(ctx, request)) return seeOther(returnTo);
      return loginForm(request, returnTo);
    })
    .post(
      "/login",
      async ({ request, server }) => {
        const form = await readBrowserForm(ctx, request);
        if (!form.ok) return form.response;
        const { _csrf, return_to, username = "", password = "" } = form.value;
        if (!checkFormToken(ctx, request, _csrf)) return csrfRejected();
        const returnTo = safeReturnTo(return_to);
        if (!config.localLoginEnabled) {
          return loginForm(request, returnTo, 403, {
            errors: [
              "Sign-in with a gateway password is switched off here; use your organisation's account.",
            ],
          });
        }
        const shownName = username.slice(0, 254);
        const limited = formRateLimit(ctx, "login", request, server);
        if (limited) {
          return loginForm(
            request,
            returnTo,
            429,
            { username: shownName, errors: [limited.message] },
            limited.headers,
          );
        }
        if (username.length === 0 || password.length === 0) {
          return loginForm(request, returnTo, 400, {
            username: shownName,
            errors: ["Enter your username and password."],
          });
        }
        const signedIn =
          username.length <= 254 && password.length <= PASSWORD_MAX_LENGTH
            ? await signIn(ctx, username, password, { ...requestMeta(ctx, request, server), via: "/login" })
            : { ok: false as const, lockedSeconds: 0 };
        if (!signedIn.ok && signedIn.lockedSeconds > 0) {
          const wait = signedIn.lockedSeconds;
          const message = `Too many failed sign-ins for this account. Try again in ${wait} ${wait === 1 ? "second" : "seconds"}.`;
          return loginForm(request, returnTo, 429, { username: shownName, errors: [message] }, [
            ["Retry-After", String(wait)],
          ]);
        }
        if (!signedIn.ok) {
          return loginForm(request, returnTo, 401, { username: shownName, errors: [INVALID_LOGIN] });
        }
        const cookie = startBrowserSession(ctx, request, signedIn.user.id);
        return seeOther(returnTo, [["Set-Cookie", cookie]]);
      },
      { parse: "none" },
    )
    .post(
      "/logout",
      async ({ request }) => {
        const form = await readBrowserForm(ctx, request);
        if (!form.ok) return form.response;
        const identity = browserIdentity(ctx, request);
        if (!identity) {
          // No live session: nothing to end; still clear whatever cookie the browser holds.
          const stale = readCookie(request, sessionCookieName(config.publicUrl));
          return seeOther("/login", stale ? [["Set-Cookie", clearedSessionCookie(ctx)]] : []);
        }
        const csrfOk =
          ctx.browserSessions.checkCsrf(identity.session, form.value._csrf) &&
          sameOriginRequest(request, config.publicUrl);
        if (!csrfOk) return csrfRejected();
        ctx.browserSessions.destroy(identity.cookieValue);
        return seeOther("/login", [["Set-Cookie", clearedSessionCookie(ctx)]]);
      },
      { parse: "none" },
    );
}
