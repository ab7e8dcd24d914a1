import { Elysia } from "elysia";
import { z } from "zod";
import { checkIpRecorded } from "../audit/security-events/rate-limited.ts";
import { requestMeta } from "../audit/security-events/request-meta.ts";
import type { AppContext } from "../context.ts";
import { readJson } from "../http/body.ts";
import type { clientIp } from "../http/client-ip.ts";
import { json, jsonError } from "../http/errors.ts";
import { wwwAuthenticate } from "../oauth/bearer.ts";
import { issueTokenPair, LOGIN_CLIENT_ID, revokeFamily, rotateTokenPair } from "../oauth/token-issuer.ts";
import type { IpLimitName } from "../policy/rate-limits/rate-limits.ts";
import { signIn } from "../policy/rate-limits/sign-in.ts";
import { PASSWORD_MAX_LENGTH } from "./password-policy.ts";
import { publicUser, USERNAME_PATTERN } from "./user-service.ts";

/** A required text field: "expected text" for a wrong type, the length rule broken otherwise. */
function textField(max: number, min = 0) {
  let schema = z.string({ error: "expected text" });
  if (min > 0) schema = schema.min(min, { error: "must not be empty" });
  return schema.max(max, { error: `at most ${max} characters` });
}

const registerBody = z.strictObject({
  username: z.string({ error: "expected text" }).regex(USERNAME_PATTERN, {
    error: "expected 3–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  }),
  email: z.email({ error: "expected an email address" }).max(254, { error: "at most 254 characters" }),
  password: textField(PASSWORD_MAX_LENGTH),
});
const loginBody = z.strictObject({
  username: textField(254, 1),
  password: textField(PASSWORD_MAX_LENGTH, 1),
  resource: textField(2048).optional(),
});
const refreshBody = z.strictObject({
  refresh_token: textField(512, 1),
});

const REGISTRATION_ACCEPTED = {
  status: "accepted",
  message:
    "If the username and email were not in use, the account now exists: sign in with them. Otherwise nothing was created.",
};

/** First-party JSON authentication: register, login, refresh, logout, me. */
export function identityRoutes(ctx: AppContext) {
  const { config } = ctx;
  const limit = (name: IpLimitName, request: Request, server: Parameters<typeof clientIp>[1]) => {
    const refused = checkIpRecorded(ctx, name, request, server);
    if (refused === undefined) return undefined;
    const wait = refused.decision.retryAfterSeconds;
    return jsonError(429, "rate_limited", `too many requests; try again in ${wait} s`, refused.headers);
  };
  const bearer = async (request: Request) => {
    const result = await ctx.bearer.authenticate(request.headers.get("authorization"), config.publicUrl);
    if (result.ok) return result;
    const header = wwwAuthenticate({
      error: result.error,
      description: result.error ? result.description : undefined,
    });
    return jsonError(401, result.error ?? "invalid_token", result.description, {
      "WWW-Authenticate": header,
    });
  };

  return new Elysia({ name: "identity-routes" })
    .post(
      "/auth/register",
      async ({ request, server }) => {
        if (!config.allowRegistration)
          return jsonError(403, "registration_disabled", "registration is closed");
        const limited = limit("register", request, server);
        if (limited) return limited;
        const body = await readJson(request, registerBody, config.maxBodyBytes);
        if (!body.ok) return body.response;
        const result = await ctx.users.create(body.value);
        if (!result.ok && result.kind === "weak_password") {
          return jsonError(400, "weak_password", result.message);
        }
        if (result.ok) {
          ctx.logger.info({ user_id: result.user.id }, "user registered");
          ctx.securityEvents.record({
            type: "user_registered",
            userId: result.user.id,
            ...requestMeta(ctx, request, server),
            details: { via: "/auth/register" },
          });
        }
        // The same answer whether the account was created or the username or email was taken: a
        // stranger must not learn which accounts exist (a 409 did). A person whose name was taken
        // finds out when signing in fails; the operator sees both cases in the log.
        else ctx.logger.info({ field: result.field }, "registration refused: already taken");
        return json(REGISTRATION_ACCEPTED, 202);
      },
      { parse: "none" },
    )
    .post(
      "/auth/login",
      async ({ request, server }) => {
        const limited = limit("login", request, server);
        if (limited) return limited;
        const body = await readJson(request, loginBody, config.maxBodyBytes);
        if (!body.ok) return body.response;
        const resource = ctx.resources.canonical(body.value.resource ?? ctx.resources.aggregate);
        const scopes = resource === undefined ? undefined : ctx.resources.scopesOf(resource);
        if (!resource || !scopes) {
          return jsonError(400, "invalid_target", "resource is not served by this gateway");
        }
        const meta = requestMeta(ctx, request, server);
        const signedIn = await signIn(ctx, body.value.username, body.value.password, {
          ...meta,
          via: "/auth/login",
        });
        if (!signedIn.ok && signedIn.lockedSeconds > 0) {
          const wait = signedIn.lockedSeconds;
          return jsonError(429, "account_locked", `too many failed sign-ins; try again in ${wait} s`, {
            "Retry-After": String(wait),
          });
        }
        if (!signedIn.ok) return jsonError(401, "invalid_grant", "invalid username or password");
        const user = signedIn.user;
        const tokens = await issueTokenPair(ctx, {
          userId: user.id,
          clientId: LOGIN_CLIENT_ID,
          audience: [config.publicUrl, resource],
          resource,
          scope: scopes.sort().join(" "),
          event: { ...meta, grantType: "password" },
        });
        return json(tokens);
      },
      { parse: "none" },
    )
    .post(
      "/auth/refresh",
      async ({ request, server }) => {
        const limited = limit("token", request, server);
        if (limited) return limited;
        const body = await readJson(request, refreshBody, config.maxBodyBytes);
        if (!body.ok) return body.response;
        // No grace window here: the first-party client refreshes from one place.
        const outcome = await rotateTokenPair(ctx, body.value.refresh_token, {
          clientId: LOGIN_CLIENT_ID,
          graceMs: 0,
          audience: (row) => [config.publicUrl, row.resource],
          meta: requestMeta(ctx, request, server),
        });
        if (!outcome.ok) {
          if (outcome.reason === "reused") {
            ctx.logger.warn(
              { user_id: outcome.row?.userId, family_id: outcome.row?.familyId },
              "refresh token reused",
            );
          }
          const message =
            outcome.reason === "inactive"
              ? "the user is not active"
              : "the refresh token is invalid, expired or revoked";
          return jsonError(401, "invalid_grant", message);
        }
        const tokens = outcome.body;
        return json(tokens);
      },
      { parse: "none" },
    )
    .post(
      "/auth/logout",
      async ({ request, server }) => {
        const auth = await bearer(request);
        if (auth instanceof Response) return auth;
        ctx.revocations.revoke(auth.claims.jti, auth.claims.exp * 1000);
        const refresh = ctx.refreshTokens.byAccessJti(auth.claims.jti);
        if (refresh) revokeFamily(ctx, refresh.familyId);
        ctx.securityEvents.record({
          type: "token_revoked",
          userId: auth.principal.id,
          clientId: auth.claims.client_id,
          ...requestMeta(ctx, request, server),
          details: {
            tokenType: refresh ? "access_token+refresh_token" : "access_token",
            via: "/auth/logout",
          },
        });
        return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
      },
      { parse: "none" },
    )
    .get("/auth/me", async ({ request }) => {
      const auth = await bearer(request);
      if (auth instanceof Response) return auth;
      const user = ctx.users.byId(auth.principal.id);
      if (!user) return jsonError(401, "invalid_token", "the user no longer exists");
      return json({ user: publicUser(user), scope: auth.claims.scope, client_id: auth.claims.client_id });
    });
}
