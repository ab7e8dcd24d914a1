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
export async function signIn(ctx: AppContext, login: string, password: string): Promise<SignInResult> {
  const lockout = ctx.rateLimits.lockout;
  if (!lockout.enabled) {
    const user = await ctx.users.authenticate(login, password);
    return user ? { ok: true, user } : { ok: false, lockedSeconds: 0 };
  }
  const key = ctx.users.lockoutKey(login);
  const locked = lockout.lockedSeconds(key);
  if (locked > 0) return { ok: false, lockedSeconds: locked };
  const user = await ctx.users.authenticate(login, password);
  if (user) {
    lockout.succeeded(key);
    return { ok: true, user };
  }
  const started = lockout.failed(key);
  if (started > 0) ctx.logger.warn({ lock_seconds: started }, "sign-in locked after repeated failures");
  return { ok: false, lockedSeconds: started };
}
