import type { PasswordPolicy } from "../../identity/password-policy.ts";
import type { RatePolicy } from "../../policy/rate-limits/limiter.ts";
import type { Config } from "../load.ts";

/*
 * Objects that components keep from their construction but that read the config on every access:
 * the runtime settings write into the config, so these follow a change from the next request.
 */

/** The password policy in force (PASSWORD_*), read afresh on every check. */
export function livePasswordPolicy(config: Config): PasswordPolicy {
  return {
    get minLength() {
      return config.passwordMinLength;
    },
    get requireUppercase() {
      return config.passwordRequireUppercase;
    },
    get requireLowercase() {
      return config.passwordRequireLowercase;
    },
    get requireDigit() {
      return config.passwordRequireDigit;
    },
    get requireSpecial() {
      return config.passwordRequireSpecial;
    },
    get passphraseMinLength() {
      return config.passwordPassphraseMinLength;
    },
  };
}

/** A rate limit whose max and window are read through `max` and `window` on every hit. */
export function liveRatePolicy(name: string, max: () => number, window: () => number): RatePolicy {
  return {
    name,
    get max() {
      return max();
    },
    get windowSeconds() {
      return window();
    },
  };
}
