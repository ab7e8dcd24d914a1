import type { AppContext } from "../../context.ts";
import { SignInAgain, type UserTokenSource } from "../../gateway/backend-auth.ts";
import { UpstreamTokenStore } from "./token-store.ts";
import { type UpstreamClient, UpstreamRefreshRefused, type UpstreamTokenSet } from "./types.ts";

/** Associated data of a sealed token set: a row copied to another user or provider does not open. */
const tokenAad = (userId: string, provider: string) => `upstream-token:${userId}:${provider}`;

/**
 * The people's own upstream tokens, kept from sign-in (providers with `keep_tokens`) for backends
 * whose credential is `upstream_user_token`. An access token within UPSTREAM_TOKEN_REFRESH_MARGIN_SECONDS
 * of its expiry is refreshed upstream first (one refresh per person and provider at a time, so a
 * provider that rotates refresh tokens never sees the old one twice). A refresh token the
 * provider refuses is forgotten, and the person is told to sign in again.
 */
export class UpstreamUserTokens implements UserTokenSource {
  private readonly store: UpstreamTokenStore;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly clientOf: (provider: string) => Promise<UpstreamClient | undefined>,
  ) {
    this.store = new UpstreamTokenStore(ctx.db);
  }

  /** Where the person signs in with `provider` again (which keeps fresh tokens). */
  loginUrl(provider: string): string {
    return `${this.ctx.config.publicUrl}/login/upstream/${provider}`;
  }

  async save(userId: string, provider: string, tokens: UpstreamTokenSet): Promise<void> {
    this.store.save({
      userId,
      provider,
      sealed: await this.ctx.secretBox.encrypt(JSON.stringify(tokens), tokenAad(userId, provider)),
      expiresAt: tokens.expiresAt ?? null,
      updatedAt: this.ctx.clock.now(),
    });
  }

  forget(userId: string, provider: string): boolean {
    return this.store.delete(userId, provider);
  }

  /** The provider was removed: tokens of a later provider with the same slug must not be these. */
  forgetProvider(provider: string): void {
    this.store.deleteProvider(provider);
  }

  /**
   * The kept token set, opened; undefined when there is none. Read at each request, not cached:
   * a new sign-in, an unlink or a refresh by another request takes effect at once.
   */
  async current(userId: string, provider: string): Promise<UpstreamTokenSet | undefined> {
    const row = this.store.get(userId, provider);
    if (!row) return undefined;
    return JSON.parse(await this.ctx.secretBox.decrypt(row.sealed, tokenAad(userId, provider)));
  }

  /** Marks the kept access token as expired: the next use refreshes it (or asks to sign in again). */
  async refused(userId: string, provider: string): Promise<void> {
    const tokens = await this.current(userId, provider);
    if (tokens) await this.save(userId, provider, { ...tokens, expiresAt: this.ctx.clock.now() });
  }

  async accessToken(userId: string, provider: string, serverName: string): Promise<string> {
    const tokens = await this.current(userId, provider);
    if (!tokens) throw this.signInAgain(userId, provider, serverName, "no_upstream_token");
    const now = this.ctx.clock.now();
    const margin = this.ctx.config.upstreamTokenRefreshMarginSeconds * 1000;
    if (tokens.expiresAt === undefined || tokens.expiresAt - margin > now) return tokens.accessToken;
    if (tokens.refreshToken === undefined) {
      if (tokens.expiresAt > now) return tokens.accessToken;
      throw this.signInAgain(userId, provider, serverName, "upstream_token_expired");
    }
    const key = `${userId}\n${provider}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.refresh(userId, provider, serverName, tokens.refreshToken).finally(() =>
        this.inflight.delete(key),
      );
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async refresh(
    userId: string,
    provider: string,
    serverName: string,
    refreshToken: string,
  ): Promise<string> {
    const client = await this.clientOf(provider);
    if (!client) throw new Error(`identity provider ${provider} is not enabled`);
    try {
      const fresh = await client.refresh(refreshToken);
      await this.save(userId, provider, fresh);
      return fresh.accessToken;
    } catch (error) {
      if (!(error instanceof UpstreamRefreshRefused)) throw error;
      this.forget(userId, provider);
      throw this.signInAgain(userId, provider, serverName, "upstream_refresh_refused");
    }
  }

  private signInAgain(userId: string, provider: string, serverName: string, reason: string): SignInAgain {
    this.ctx.securityEvents.record({
      type: "upstream_token_unavailable",
      userId,
      details: { provider, server: serverName, reason },
    });
    this.ctx.logger.info({ userId, provider, server: serverName, reason }, "upstream token unavailable");
    return new SignInAgain(provider, this.loginUrl(provider), reason);
  }
}
