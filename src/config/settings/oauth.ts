import { int } from "./kinds.ts";

/** Settings of the authorization server (src/oauth). */
export const oauthSettings = {
  authorizationCodeTtlSeconds: int(
    "OAUTH_CODE_TTL_SECONDS",
    60,
    10,
    60,
    "Lifetime of an authorization code, in seconds (at most 60).",
  ),
};
