import { expect } from "bun:test";
import type { StoredSecurityEvent } from "../../src/audit/security-events/store.ts";
import type { SecurityEventType } from "../../src/audit/security-events/types.ts";
import type { TestGateway } from "../support/context.ts";
import type { ListeningGateway } from "../support/server.ts";

/** The stored events of `type` (the log is flushed first), oldest first. */
export function stored(gateway: TestGateway, type: SecurityEventType): StoredSecurityEvent[] {
  return gateway.ctx.securityLog.page({ types: [type] }, 200, 0).rows.reverse();
}

/** The one stored event of `type`; fails unless there is exactly one. */
export function only(gateway: TestGateway, type: SecurityEventType): StoredSecurityEvent {
  const rows = stored(gateway, type);
  expect(rows.map((r) => r.type)).toEqual([type]);
  return rows[0] as StoredSecurityEvent;
}

/** The rows as the database holds them (every column, details as stored text). */
export function rawRows(gateway: TestGateway): Record<string, unknown>[] {
  gateway.ctx.securityLog.flush();
  return gateway.ctx.db.$client.query("SELECT * FROM security_events ORDER BY id").all() as Record<
    string,
    unknown
  >[];
}

/** Fails when any stored row, serialised, contains one of the secret values (case-sensitive). */
export function expectNoSecrets(gateway: TestGateway, secrets: (string | undefined)[]): void {
  const text = JSON.stringify(rawRows(gateway));
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 6) throw new Error(`not a usable secret: ${secret}`);
    expect(text.includes(secret)).toBe(false);
  }
}

/**
 * The gateway reached over real HTTP (so events carry the client address 127.0.0.1), as a
 * TestGateway for the shared helpers; redirects are not followed, as a browser test expects.
 */
export function overHttp(gateway: ListeningGateway): TestGateway {
  return {
    ...gateway,
    request: (path, init) => fetch(new URL(path, gateway.url), { redirect: "manual", ...init }),
  };
}
