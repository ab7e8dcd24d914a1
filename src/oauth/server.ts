import { readFileSync } from "node:fs";
import type { AppContext } from "../context.ts";
import { CimdFetcher } from "./cimd.ts";
import { ClientStore } from "./client-store.ts";
import { ClientService } from "./clients.ts";
import { CodeStore } from "./code-store.ts";
import { ConsentStore } from "./consent-store.ts";

/** The authorization server's stores and services, built once from the context. */
export interface OAuthServer {
  clientStore: ClientStore;
  clients: ClientService;
  codes: CodeStore;
  consents: ConsentStore;
}

export function createOAuthServer(ctx: AppContext): OAuthServer {
  const { config, db, clock } = ctx;
  const clientStore = new ClientStore(db);
  // Built even when off: OAUTH_CIMD_ENABLED is a runtime setting, read on every lookup below.
  const cimdFetcher = new CimdFetcher(clock, {
    timeoutMs: config.oauthCimdTimeoutMs,
    maxBytes: config.oauthCimdMaxBytes,
    cacheMaxSeconds: config.oauthCimdCacheMaxSeconds,
    cacheEntries: config.oauthCimdCacheEntries,
    negativeCacheSeconds: config.oauthCimdNegativeCacheSeconds,
    maxConcurrentFetches: config.oauthCimdMaxConcurrentFetches,
    maxConcurrentFetchesPerHost: config.oauthCimdMaxConcurrentFetchesPerHost,
    allowedHosts: config.oauthCimdAllowedHosts,
    ca: config.oauthCimdCaFile ? readFileSync(config.oauthCimdCaFile, "utf8") : undefined,
  });
  const cimd = () => (config.oauthCimdEnabled ? cimdFetcher : undefined);
  const clients = new ClientService(clientStore, cimd, clock, () => ctx.resources.knownScopes());
  for (const problem of clients.syncConfigClients(config.oauthClients)) {
    ctx.logger.error({ problem }, "a pre-registered OAuth client of the config file was skipped");
  }
  const codes = new CodeStore(db, clock);
  // Used codes are kept a day after expiry (replay detection), then deleted.
  // Sealed grace-window answers of rotated refresh tokens are dropped once the window is over.
  const pruneTimer = setInterval(() => {
    codes.prune(86_400_000);
    ctx.refreshTokens.pruneSealed(config.oauthRefreshGraceSeconds * 1000);
  }, 3_600_000);
  pruneTimer.unref?.();
  ctx.onClose(() => clearInterval(pruneTimer));
  return {
    clientStore,
    clients,
    codes,
    consents: new ConsentStore(db, clock),
  };
}
