import type { SettingKey } from "../settings/index.ts";

/**
 * The settings an administrator may change while the gateway runs (GET/PATCH /admin/api/settings,
 * /admin/settings), grouped as the page shows them. Each one's consumers read `ctx.config` on every
 * request (or through a live view of it), so a change applies from the next request. Left out on
 * purpose: secrets; what is bound at start (addresses, storage, the signing algorithm, queue and
 * cache sizes, timers); and RATE_LIMIT_ENABLED, which decides which limiters exist at all.
 */
export const RUNTIME_SETTING_GROUPS = [
  {
    title: "Rate limits",
    keys: [
      "rateLimitLoginMax",
      "rateLimitLoginWindow",
      "rateLimitRegisterMax",
      "rateLimitRegisterWindow",
      "rateLimitTokenMax",
      "rateLimitTokenWindow",
      "rateLimitClientRegistrationMax",
      "rateLimitClientRegistrationWindow",
      "rateLimitAuthorizeMax",
      "rateLimitAuthorizeWindow",
      "rateLimitMcpMax",
      "rateLimitMcpWindow",
    ],
  },
  {
    title: "Registration",
    keys: ["allowRegistration", "oauthRegistrationMode", "oauthCimdEnabled"],
  },
  {
    title: "Token lifetimes",
    keys: ["accessTokenMinutes", "refreshTokenDays", "authorizationCodeTtlSeconds"],
  },
  {
    title: "Password policy",
    keys: [
      "passwordMinLength",
      "passwordRequireUppercase",
      "passwordRequireLowercase",
      "passwordRequireDigit",
      "passwordRequireSpecial",
      "passwordPassphraseMinLength",
    ],
  },
  {
    title: "Retention",
    keys: ["activityRetentionDays", "securityEventRetentionDays"],
  },
  {
    title: "Personal access tokens",
    keys: ["personalTokenMaxPerUser", "personalTokenMaxLifetimeDays"],
  },
  {
    title: "Admin pages",
    keys: ["adminLiveActivityRows"],
  },
] as const satisfies readonly { title: string; keys: readonly SettingKey[] }[];

export type RuntimeSettingKey = (typeof RUNTIME_SETTING_GROUPS)[number]["keys"][number];

export const RUNTIME_SETTING_KEYS: readonly RuntimeSettingKey[] = RUNTIME_SETTING_GROUPS.flatMap(
  (group) => group.keys,
);

const KEY_SET = new Set<string>(RUNTIME_SETTING_KEYS);

export function isRuntimeSettingKey(key: string): key is RuntimeSettingKey {
  return KEY_SET.has(key);
}
