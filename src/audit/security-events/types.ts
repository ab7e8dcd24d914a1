/**
 * The contract every part of the gateway records security events through. The stored log, its
 * admin API and its retention live beside this file; producers depend on this interface only.
 */
export const SECURITY_EVENT_TYPES = [
  "login_success",
  "login_failure",
  "account_locked",
  "user_registered",
  "token_issued",
  "token_refreshed",
  "token_revoked",
  "refresh_token_reuse",
  "invalid_token",
  "session_hijack",
  "rate_limited",
  "client_registered",
  "consent_granted",
  "consent_revoked",
  "permission_denied",
  "admin_change",
  "upstream_login_failure",
  "tool_definition_changed",
  "tool_blocked",
  "upstream_token_unavailable",
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export const SECURITY_SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type SecuritySeverity = (typeof SECURITY_SEVERITIES)[number];

/** What a producer knows; the log adds the time and a default severity per type. */
export interface SecurityEventInput {
  type: SecurityEventType;
  severity?: SecuritySeverity;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never a secret: tokens, passwords, codes and credentials are masked before they get here. */
  details?: Record<string, unknown>;
}

export interface SecurityEvent extends Required<Omit<SecurityEventInput, "details">> {
  at: number;
  details: Record<string, unknown>;
}

export type SecurityEventListener = (event: SecurityEvent) => void;

export interface SecurityEventSink {
  /** Never blocks the request and never throws. */
  record(event: SecurityEventInput): void;
  /** Every recorded event, as it is recorded (metrics, live pages). Returns the unsubscribe. */
  subscribe(listener: SecurityEventListener): () => void;
}
