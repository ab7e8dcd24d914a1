import type { DestinationStream } from "pino";
import { ActivityDispatcher } from "./audit/activity/dispatcher.ts";
import { SecurityEventDispatcher } from "./audit/security-events/dispatcher.ts";
import { SecurityEventLog } from "./audit/security-events/log.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config/load.ts";
import { livePasswordPolicy } from "./config/runtime/live-views.ts";
import { RuntimeSettings } from "./config/runtime/service.ts";
import { generateEncryptionKey, SecretBox } from "./crypto/encryption.ts";
import { randomToken } from "./crypto/random.ts";
import { readOrCreateSecretFile } from "./crypto/secret-files.ts";
import { type Db, openDatabase } from "./db/connection.ts";
import { applyMigrations } from "./db/migrate.ts";
import { BrowserSessionStore } from "./identity/browser-sessions.ts";
import { UserService } from "./identity/user-service.ts";
import { UserStore } from "./identity/user-store.ts";
import { createLogger, drainLogger, type Logger } from "./logger.ts";
import { type AppLogs, createAppLogs } from "./logs/app-logs.ts";
import { AccessTokenService } from "./oauth/access-tokens.ts";
import { BearerAuthenticator } from "./oauth/bearer.ts";
import { KeyStore } from "./oauth/keys.ts";
import { RefreshTokenStore } from "./oauth/refresh-tokens.ts";
import { ResourceCatalog } from "./oauth/resources.ts";
import { RevocationList } from "./oauth/revocation.ts";
import { RateLimits } from "./policy/rate-limits/rate-limits.ts";
import { PersonalTokenStore } from "./portal/personal-tokens.ts";

export const ENCRYPTION_KEY_FILE = "encryption.key";
export const SESSION_SECRET_FILE = "session.secret";

/** Everything a feature needs, built once at start and passed down; no module-level state. */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** The application log besides stdout: the recent lines in memory, their live streams, the daily files (src/logs). */
  logs: AppLogs;
  clock: Clock;
  keys: KeyStore;
  secretBox: SecretBox;
  users: UserService;
  accessTokens: AccessTokenService;
  refreshTokens: RefreshTokenStore;
  revocations: RevocationList;
  bearer: BearerAuthenticator;
  /** Personal access tokens (src/portal): hashes in the database, the live ones in memory. */
  personalTokens: PersonalTokenStore;
  browserSessions: BrowserSessionStore;
  /** Per-IP and per-user rate limits, the sign-in lockout, the trusted proxies (src/policy/rate-limits). */
  rateLimits: RateLimits;
  /** The settings an admin changes at run time, written into `config` (src/config/runtime). */
  runtimeSettings: RuntimeSettings;
  /** The resource URIs the gateway serves (aggregate and per-server). */
  resources: ResourceCatalog;
  /** Where every security event is recorded (src/audit/security-events/types.ts). */
  securityEvents: SecurityEventDispatcher;
  /** The stored security log: batched writes of every event, pages for the admin API, `deleteBefore` for retention. */
  securityLog: SecurityEventLog;
  /** Where every MCP request through either endpoint is recorded (src/audit/activity/types.ts). */
  activity: ActivityDispatcher;
  /** Resolves backend host names for the address guard; the system resolver when not set (tests inject one). */
  resolveHost?: (host: string) => Promise<string[]>;
  /** Registers cleanup (timers, connections) run by close(), last registered first. */
  onClose(task: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  /** A logger of the caller's: then nothing reaches the ring or the log files. */
  logger?: Logger;
  /** Where the logger writes instead of stdout (tests); the ring and the files get the lines too. */
  logDestination?: DestinationStream;
  resolveHost?: (host: string) => Promise<string[]>;
}

export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const logs = createAppLogs(config, clock, (path, error) => {
    // Told from inside a log write: the warning waits for it to finish (the file is off by then).
    queueMicrotask(() =>
      logger.warn(
        { path, err: error instanceof Error ? error.message : String(error) },
        "cannot write the log file: lines go to stdout only until the next day's file",
      ),
    );
  });
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination, logs.sinks);
  const db = openDatabase(config.sqliteFile, { busyTimeoutMs: config.sqliteBusyTimeoutMs });
  applyMigrations(db);
  // Before anything reads the config: values an admin stored apply where no start source sets one.
  const runtimeSettings = new RuntimeSettings(config, db, clock, logger);

  const keys = await KeyStore.load({
    dataDir: config.dataDir,
    algorithm: config.jwtAlgorithm,
    hmacSecret: config.jwtSecretKey,
    now: clock.now(),
    // Read at each rotation: the access-token lifetime is a runtime setting.
    retiredKeyGraceMs: () => config.accessTokenMinutes * 60_000 + config.clockSkewSeconds * 1000,
  });
  const encryptionKey =
    config.encryptionKey ??
    readOrCreateSecretFile(config.dataDir, ENCRYPTION_KEY_FILE, generateEncryptionKey);
  const secretBox = await SecretBox.fromBase64(encryptionKey);
  const sessionSecret =
    config.sessionSecret ??
    readOrCreateSecretFile(config.dataDir, SESSION_SECRET_FILE, () => randomToken(48));

  const users = new UserService(new UserStore(db), livePasswordPolicy(config), clock);
  const accessTokens = new AccessTokenService(
    keys,
    config.publicUrl,
    () => clock.now(),
    config.clockSkewSeconds,
  );
  const revocations = new RevocationList(db, clock);
  const resources = new ResourceCatalog(config.publicUrl);
  resources.addServerLookup((name) => Object.hasOwn(config.mcpServices, name));
  const closers: (() => void | Promise<void>)[] = [];
  // Live log streams end with the gateway; the day's log file is closed last.
  closers.push(() => logs.files?.close());
  closers.push(() => logs.streams.closeAll());
  const securityEvents = new SecurityEventDispatcher(clock, logger);
  const securityLog = new SecurityEventLog(db, securityEvents, logger, clock, {
    queueMax: config.securityLogQueueMax,
    batchSize: config.securityLogBatchSize,
    flushIntervalMs: config.securityLogFlushIntervalMs,
    repeatMs: config.securityLogRepeatSeconds * 1000,
    maxKeys: config.rateLimitMaxKeys,
  });
  // Registered first, so it runs last: events recorded while the rest shuts down are written too.
  closers.push(() => securityLog.close());
  const personalTokens = new PersonalTokenStore(db, clock);
  // Account disabled, password reset, user deleted: their personal access tokens end with the rest.
  users.onCredentialsEnded((userId) => {
    for (const token of personalTokens.revokeForUser(userId)) {
      securityEvents.record({
        type: "token_revoked",
        userId,
        clientId: `pat:${token.id}`,
        details: { kind: "personal_access_token", name: token.name, by: "credentials_ended" },
      });
    }
  });

  return {
    config,
    db,
    logger,
    logs,
    clock,
    keys,
    secretBox,
    users,
    accessTokens,
    refreshTokens: new RefreshTokenStore(db, clock),
    revocations,
    bearer: new BearerAuthenticator(accessTokens, revocations, users, personalTokens, resources),
    personalTokens,
    browserSessions: new BrowserSessionStore(db, clock, sessionSecret, config.adminSessionHours * 3_600_000),
    rateLimits: new RateLimits(config, clock, db),
    runtimeSettings,
    resources,
    securityEvents,
    securityLog,
    activity: new ActivityDispatcher(logger),
    resolveHost: options.resolveHost,
    onClose: (task) => closers.push(task),
    close: async () => {
      for (const task of closers.reverse()) await task();
      db.$client.close();
      // The shutdown's own lines included: the exit that follows loses none.
      await drainLogger(logger, 1000);
    },
  };
}
