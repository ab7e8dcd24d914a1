import { NO_REQUEST_META, type RequestMeta } from "../../audit/security-events/request-meta.ts";
import type { AppContext } from "../../context.ts";
import type { UserRow } from "../../identity/user-store.ts";

export type SignInResult = { ok: true; user: UserRow } | { ok: false; lockedSeconds: number };

/**
 * A password sign-in under the account lockout (POST /auth/login and /login). While locked the
 * password is not checked at all, for an existing account and an unknown name alike, so the
 * answer and its cost are the same for both; unlocked, `authenticate` hashes a dummy password for
 * unknown names. `lockedSeconds` > 0 means refused because of the lock (this failure may have
 * started it).
 */
export async function signIn(
  ctx: AppContext,
  login: string,
  password: string,
  meta: RequestMeta & { via?: string } = NO_REQUEST_META,
): Promise<SignInResult> {
  const lockout = ctx.rateLimits.lockout;
  // The typed name is not recorded (people type passwords into it); the account is, when it exists.
  const event = (
    type: "login_success" | "login_failure" | "account_locked",
    userId: string | undefined,
    details: Record<string, unknown>,
  ) =>
    ctx.securityEvents.record({
      type,
      userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { via: meta.via, ...details },
    });
  const accountOf = (key: string) => (key.startsWith("user:") ? key.slice(5) : undefined);
  if (!lockout.enabled) {
    const user = await ctx.users.authenticate(login, password);
    if (user) event("login_success", user.id, {});
    else event("login_failure", accountOf(ctx.users.lockoutKey(login)), { reason: "invalid_credentials" });
    return user ? { ok: true, user } : { ok: false, lockedSeconds: 0 };
  }
  const key = ctx.users.lockoutKey(login);
  const locked = lockout.lockedSeconds(key);
  if (locked > 0) {
    event("login_failure", accountOf(key), { reason: "locked", lockedSeconds: locked });
    return { ok: false, lockedSeconds: locked };
  }
  const user = await ctx.users.authenticate(login, password);
  if (user) {
    lockout.succeeded(key);
    event("login_success", user.id, {});
    return { ok: true, user };
  }
  const started = lockout.failed(key);
  event("login_failure", accountOf(key), { reason: "invalid_credentials" });
  if (started > 0) {
    ctx.logger.warn({ lock_seconds: started }, "sign-in locked after repeated failures");
    event("account_locked", accountOf(key), { lockSeconds: started });
  }
  return { ok: false, lockedSeconds: started };
}
