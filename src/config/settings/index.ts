import { accessSettings } from "./access.ts";
import { activitySettings } from "./activity.ts";
import { adminPageSettings } from "./admin-pages.ts";
import { auditSettings } from "./audit.ts";
import { coreSettings } from "./core.ts";
import { gatewaySettings } from "./gateway.ts";
import { logSettings } from "./logs.ts";
import { oauthSettings } from "./oauth.ts";
import { policySettings } from "./policy.ts";
import { portalSettings } from "./portal.ts";
import { securityLogSettings } from "./security-log.ts";
import { upstreamSettings } from "./upstream.ts";
import { webSettings } from "./web.ts";

/** Every scalar setting, by config key. Each feature owns one file of them. */
export const settings = {
  ...coreSettings,
  ...oauthSettings,
  ...gatewaySettings,
  ...webSettings,
  ...policySettings,
  ...upstreamSettings,
  ...accessSettings,
  ...auditSettings,
  ...portalSettings,
  ...activitySettings,
  ...securityLogSettings,
  ...adminPageSettings,
  ...logSettings,
};
export type SettingKey = keyof typeof settings;
