import type { Config } from "../../config/load.ts";
import type { BackendAddressGuard } from "../../gateway/url-guard.ts";
import type { AuditOptions } from "./audit.ts";

/** The audit's limits from the settings, and the gateway's address guard for every URL it fetches. */
export function auditOptions(
  config: Config,
  guard: BackendAddressGuard,
  extra: Partial<AuditOptions> = {},
): AuditOptions {
  return {
    timeoutMs: config.auditRequestTimeoutMs,
    maxResponseBytes: config.auditMaxResponseBytes,
    descriptionMaxChars: config.auditDescriptionMaxChars,
    addressProblem: (url) => guard.problemOnSave(url),
    ...extra,
  };
}
