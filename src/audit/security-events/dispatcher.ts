import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type {
  SecurityEvent,
  SecurityEventInput,
  SecurityEventListener,
  SecurityEventSink,
  SecurityEventType,
  SecuritySeverity,
} from "./types.ts";

/** The severity of a type when its producer names none. */
export const DEFAULT_SEVERITY: Record<SecurityEventType, SecuritySeverity> = {
  login_success: "info",
  login_failure: "low",
  account_locked: "medium",
  user_registered: "info",
  token_issued: "info",
  token_refreshed: "info",
  token_revoked: "info",
  refresh_token_reuse: "high",
  invalid_token: "low",
  session_hijack: "high",
  rate_limited: "low",
  client_registered: "info",
  consent_granted: "info",
  consent_revoked: "info",
  permission_denied: "low",
  admin_change: "medium",
  upstream_login_failure: "medium",
  tool_definition_changed: "high",
  tool_blocked: "high",
  upstream_token_unavailable: "low",
};

/**
 * Completes each event (time, severity, nulls) and hands it to every listener synchronously: the
 * stored log's queue, metrics, live pages. A listener that throws is logged and skipped, so a
 * producer never fails because of a consumer.
 */
export class SecurityEventDispatcher implements SecurityEventSink {
  private readonly listeners = new Set<SecurityEventListener>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  record(input: SecurityEventInput): void {
    const event: SecurityEvent = {
      at: this.clock.now(),
      type: input.type,
      severity: input.severity ?? DEFAULT_SEVERITY[input.type],
      userId: input.userId ?? null,
      clientId: input.clientId ?? null,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      details: input.details ?? {},
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(
          { type: event.type, err: error instanceof Error ? error.message : String(error) },
          "a security event listener failed",
        );
      }
    }
  }

  subscribe(listener: SecurityEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
