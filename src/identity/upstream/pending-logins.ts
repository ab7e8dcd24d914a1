import { constantTimeEqual, randomToken, sha256Hex } from "../../crypto/random.ts";
import type { AuthorizationSecrets } from "./types.ts";

interface PendingLogin {
  provider: string;
  secrets: AuthorizationSecrets;
  returnTo: string;
  /** SHA-256 of the browser's binding cookie: the callback must come from the browser that started. */
  bindingHash: string;
  expiresAt: number;
}

/**
 * Upstream sign-ins under way, by `state`. Each is bound to the browser that started it (a random
 * cookie whose hash is kept here) and taken out at its first use, so a state works once, only in
 * that browser, and only until it expires. In memory: a pending sign-in is minutes long and a
 * restart only asks the person to click again.
 */
export class PendingLogins {
  private readonly byState = new Map<string, PendingLogin>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  /** Keeps the sign-in; returns the binding value for the browser's cookie. */
  add(provider: string, secrets: AuthorizationSecrets, returnTo: string, existingBinding?: string): string {
    this.prune();
    // One binding per browser: several tabs may sign in at once, each with its own state.
    const binding =
      existingBinding && /^[A-Za-z0-9_-]{43}$/.test(existingBinding) ? existingBinding : randomToken(32);
    this.byState.set(secrets.state, {
      provider,
      secrets,
      returnTo,
      bindingHash: sha256Hex(binding),
      expiresAt: this.now() + this.ttlMs,
    });
    return binding;
  }

  /**
   * The sign-in for `state`, removed whatever the outcome (single use); `wrong_browser` when the
   * binding cookie is not the one that started it, `unknown` when the state is unknown, used or expired.
   */
  take(
    state: string | null,
    binding: string | undefined,
  ): { ok: true; login: PendingLogin } | { ok: false; reason: "unknown" | "wrong_browser" } {
    if (!state || state.length > 200) return { ok: false, reason: "unknown" };
    const login = this.byState.get(state);
    if (!login) return { ok: false, reason: "unknown" };
    this.byState.delete(state);
    if (login.expiresAt <= this.now()) return { ok: false, reason: "unknown" };
    if (!binding || !constantTimeEqual(sha256Hex(binding), login.bindingHash))
      return { ok: false, reason: "wrong_browser" };
    return { ok: true, login };
  }

  private prune(): void {
    const now = this.now();
    for (const [state, login] of this.byState) if (login.expiresAt <= now) this.byState.delete(state);
  }
}
