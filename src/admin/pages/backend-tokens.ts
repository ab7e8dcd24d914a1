import { Elysia } from "elysia";
import {
  BackendTokenRow,
  BackendTokensPage,
  MissingServerRow,
  type RowResult,
} from "../../../views/admin/backend-tokens.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { htmlResponse } from "../../web/html.ts";
import { backendTokenApiRoutes } from "../api/backend-token-routes.ts";
import {
  backendTokenJson,
  backendTokenState,
  refreshBackendToken,
  refreshDeadlineMs,
} from "./backend-tokens-service.ts";
import {
  type AdminPageIdentity,
  adminFormPost,
  adminPageGuard,
  type RequestServer,
  recordPageChange,
} from "./guard.ts";

const NO_PARSE = { parse: "none" } as const;
const PAGE = "/admin/backend-tokens";
/**
 * What the page's htmx request waits beyond the longest refresh the settings allow (every attempt's
 * timeout and the backoffs): the gateway's own work around the fetch (decrypting the credential,
 * resolving the token URL). After that the page says there was no answer instead of waiting on.
 */
const ANSWER_SLACK_MS = 2000;

/**
 * `/admin/backend-tokens`: each server's backend credential kind and status, with "Refresh now"
 * for client-credentials tokens (a form POST with the session's CSRF token; htmx swaps the row in
 * place, without script the whole page comes back). It calls what
 * `POST /admin/api/mcp-servers/{id}/refresh-token` calls (that API is added with the page, see
 * ../api/backend-token-routes.ts); a refresh is an `admin_change` event.
 */
export function adminBackendTokenPages(ctx: AppContext, gateway: Gateway) {
  const guard = adminPageGuard(ctx);
  const adminPost = adminFormPost(ctx);
  const refreshWaitMs = refreshDeadlineMs(ctx.config) + ANSWER_SLACK_MS;
  const now = () => ctx.clock.now();

  const page = async (
    admin: AdminPageIdentity,
    status = 200,
    extra: { notice?: string; errors?: string[] } = {},
  ) => {
    const states = gateway.registry
      .list()
      .map((server) => backendTokenState(server, gateway.backendAuth, now()));
    const html = await BackendTokensPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      states,
      now: now(),
      refreshWaitMs,
      ...extra,
    });
    return htmlResponse(html, status);
  };

  /** htmx's answer: the server's row with the result in it, 200 so htmx swaps it in. */
  const row = async (admin: AdminPageIdentity, id: string, result: RowResult) => {
    const server = gateway.registry.byId(id);
    if (!server) return htmlResponse(await MissingServerRow({ message: result.message }));
    const html = await BackendTokenRow({
      state: backendTokenState(server, gateway.backendAuth, now()),
      csrfToken: admin.csrfToken,
      now: now(),
      refreshWaitMs,
      result,
    });
    return htmlResponse(html);
  };

  const snapshot = (id: string) => {
    const server = gateway.registry.byId(id);
    return server ? backendTokenJson(backendTokenState(server, gateway.backendAuth, now())) : undefined;
  };

  // The JSON API comes along: one plugin in the app's chain (each `use` deepens the app's type).
  return new Elysia({ name: "admin-pages-backend-tokens" })
    .use(backendTokenApiRoutes(ctx, gateway))
    .get(PAGE, async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return page(admin);
    })
    .post(
      `${PAGE}/:id/refresh`,
      async ({
        request,
        params,
        server,
      }: {
        request: Request;
        params: { id: string };
        server: RequestServer;
      }) => {
        const htmx = request.headers.get("hx-request") === "true";
        const post = await adminPost(request);
        if (post instanceof Response) return htmx ? forHtmx(post) : post;
        const { admin, fields } = post;
        const before = snapshot(params.id);
        const outcome = await refreshBackendToken(ctx, gateway, params.id);
        const name = gateway.registry.byId(params.id)?.name ?? "";
        if (!outcome.ok) {
          const message =
            outcome.status === 404
              ? "No such server (deleted?)."
              : outcome.status === 409
                ? `${name}: ${outcome.message}.`
                : `${name}: the token endpoint issued no token: ${outcome.message}`;
          // In the row the Last error column already shows the endpoint's words.
          const short =
            outcome.status === 502
              ? "Refresh failed: the token endpoint issued no token (see Last error)."
              : message;
          return htmx
            ? row(admin, params.id, { ok: false, message: short })
            : page(admin, outcome.status, { errors: [message] });
        }
        await recordPageChange(ctx, admin, { request, server, params, fields }, before, snapshot(params.id));
        const expiry = outcome.state.expiresAt;
        const message = `${name}: new token fetched${
          expiry === undefined
            ? " (the token endpoint gave no expiry)"
            : `, expires ${new Date(expiry).toISOString()}`
        }.`;
        return htmx
          ? row(admin, params.id, { ok: true, message: "New token fetched." })
          : page(admin, 200, { notice: message });
      },
      NO_PARSE,
    );
}

/**
 * A refusal answered to htmx: a redirect (the session ended) becomes `HX-Redirect`, so the whole
 * page goes to the login instead of the login page landing inside the table row; anything else (a
 * 403 for a bad CSRF token) stays as it is and the page's script says the refresh did not go through.
 */
function forHtmx(refusal: Response): Response {
  const location = refusal.headers.get("location");
  if (refusal.status !== 303 || location === null) return refusal;
  // After signing in, back to this page (a POST's own login redirect returns to the dashboard).
  const target = location.startsWith("/login") ? `/login?return_to=${PAGE}` : location;
  return new Response(null, {
    status: 200,
    headers: { "HX-Redirect": target, "Cache-Control": "no-store" },
  });
}
