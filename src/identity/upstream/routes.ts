import { Elysia } from "elysia";
import { requestMeta } from "../../audit/security-events/request-meta.ts";
import type { AppContext } from "../../context.ts";
import { type HeaderList, seeOther } from "../../web/html.ts";
import { formRateLimit, messageResponse } from "../../web/pages.ts";
import { safeReturnTo } from "../../web/return-to.ts";
import { startBrowserSession } from "../../web/session.ts";
import { readCookie } from "../browser-auth.ts";
import type { UpstreamIdentity } from "./service.ts";
import { UpstreamLoginError } from "./types.ts";

/** The cookie binding an upstream sign-in to the browser that started it. */
function bindingCookieName(publicUrl: string): string {
  return publicUrl.startsWith("https:") ? "__Host-authmcp_upstream" : "authmcp_upstream";
}

/**
 * SameSite=Lax, not Strict: the provider sends the browser back with a cross-site top-level GET,
 * on which Lax cookies are sent and Strict ones are not.
 */
function bindingCookie(publicUrl: string, value: string, maxAgeSeconds: number): string {
  const secure = publicUrl.startsWith("https:") ? "; Secure" : "";
  return `${bindingCookieName(publicUrl)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

type Server = Parameters<AppContext["rateLimits"]["clientIp"]>[1];

/**
 * `/login/upstream/{provider}` sends the person to the provider; its `/callback` checks the answer,
 * signs the person in and continues to `return_to`, typically `/oauth/authorize?…`, where the
 * gateway's own consent is asked exactly as after a local sign-in.
 */
export function upstreamLoginRoutes(ctx: AppContext, upstream: UpstreamIdentity) {
  const { config } = ctx;

  const refuse = async (
    request: Request,
    server: Server,
    provider: string,
    error: UpstreamLoginError,
    extra: HeaderList = [],
  ) => {
    ctx.securityEvents.record({
      type: "upstream_login_failure",
      ip: ctx.rateLimits.clientIp(request, server),
      userAgent: request.headers.get("user-agent")?.slice(0, 300) ?? null,
      details: { provider, reason: error.reason },
    });
    ctx.logger.warn({ provider, reason: error.reason }, "upstream sign-in refused");
    return messageResponse(
      error.status,
      { title: "Sign-in failed", message: `${error.message} Go back to the sign-in page and try again.` },
      extra,
    );
  };

  return new Elysia({ name: "upstream-login" })
    .get("/login/upstream/:provider", async ({ request, server, params }) => {
      const limited = formRateLimit(ctx, "login", request, server);
      if (limited)
        return messageResponse(
          429,
          { title: "Too many attempts", message: limited.message },
          limited.headers,
        );
      const client = await upstream.client(params.provider);
      if (!client)
        return messageResponse(404, { title: "Not found", message: "There is no such sign-in provider." });
      const returnTo = safeReturnTo(new URL(request.url).searchParams.get("return_to"));
      try {
        const { url, secrets } = await client.start(upstream.redirectUri(params.provider));
        const existing = readCookie(request, bindingCookieName(config.publicUrl));
        const binding = upstream.pending.add(params.provider, secrets, returnTo, existing);
        return seeOther(url.href, [
          ["Set-Cookie", bindingCookie(config.publicUrl, binding, config.upstreamLoginMinutes * 60)],
        ]);
      } catch (error) {
        if (!(error instanceof UpstreamLoginError)) throw error;
        return refuse(request, server, params.provider, error);
      }
    })
    .get("/login/upstream/:provider/callback", async ({ request, server, params }) => {
      const callback = new URL(request.url);
      const binding = readCookie(request, bindingCookieName(config.publicUrl));
      const taken = upstream.pending.take(callback.searchParams.get("state"), binding);
      if (!taken.ok || taken.login.provider !== params.provider) {
        const reason = taken.ok
          ? "provider_mismatch"
          : taken.ok === false && taken.reason === "wrong_browser"
            ? "state_wrong_browser"
            : "invalid_state";
        return refuse(
          request,
          server,
          params.provider,
          new UpstreamLoginError(
            reason,
            "This sign-in link is unknown, expired, already used or was started in another browser.",
          ),
        );
      }
      const client = await upstream.client(params.provider);
      if (!client)
        return messageResponse(404, { title: "Not found", message: "There is no such sign-in provider." });
      try {
        const { profile, tokens } = await client.finish(callback, taken.login.secrets);
        const user = upstream.signIn(client.provider, profile);
        // Kept only where asked (keep_tokens); otherwise any kept from before are dropped.
        if (client.provider.fields.keep_tokens) await upstream.tokens.save(user.id, params.provider, tokens);
        else upstream.tokens.forget(user.id, params.provider);
        ctx.logger.info({ provider: params.provider, userId: user.id }, "upstream sign-in");
        ctx.securityEvents.record({
          type: "login_success",
          userId: user.id,
          ...requestMeta(ctx, request, server),
          details: { via: "upstream", provider: params.provider },
        });
        const cookie = startBrowserSession(ctx, request, user.id);
        return seeOther(taken.login.returnTo, [["Set-Cookie", cookie]]);
      } catch (error) {
        if (!(error instanceof UpstreamLoginError)) throw error;
        return refuse(request, server, params.provider, error);
      }
    });
}
