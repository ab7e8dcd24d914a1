import { accessSettings } from "./access.ts";
import { coreSettings } from "./core.ts";
import { gatewaySettings } from "./gateway.ts";
import { oauthSettings } from "./oauth.ts";
import { policySettings } from "./policy.ts";
import { webSettings } from "./web.ts";

/** Every scalar setting, by config key. Each feature owns one file of them. */
export const settings = {
  ...coreSettings,
  ...oauthSettings,
  ...gatewaySettings,
  ...webSettings,
  ...policySettings,
  ...accessSettings,
};
export type SettingKey = keyof typeof settings;
