import { coreSettings } from "./core.ts";
import { gatewaySettings } from "./gateway.ts";
import { oauthSettings } from "./oauth.ts";

/** Every scalar setting, by config key. Each feature owns one file of them. */
export const settings = { ...coreSettings, ...oauthSettings, ...gatewaySettings };
export type SettingKey = keyof typeof settings;
