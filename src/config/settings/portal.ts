import { int } from "./kinds.ts";

/** The user portal (src/portal) and its personal access tokens. */
export const portalSettings = {
  personalTokenMaxPerUser: int(
    "PERSONAL_TOKEN_MAX_PER_USER",
    20,
    1,
    1000,
    "Most personal access tokens one user may hold at once (live ones: not revoked, not expired); creating one more is refused until one is revoked.",
  ),
  personalTokenMaxLifetimeDays: int(
    "PERSONAL_TOKEN_MAX_LIFETIME_DAYS",
    365,
    0,
    3650,
    "Longest lifetime of a personal access token, in days; the portal offers no longer expiry. 0 allows tokens that never expire.",
  ),
};
