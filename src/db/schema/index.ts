// Each feature owns one schema file; this lists them for drizzle and the app.

export * from "./activity.ts";
export * from "./gateway.ts";
export * from "./identity.ts";
export * from "./networks.ts";
export * from "./oauth.ts";
export * from "./personal-tokens.ts";
export * from "./pinning.ts";
export * from "./policy.ts";
export * from "./rate-limits.ts";
export * from "./runtime-settings.ts";
export * from "./security-events.ts";
export * from "./tokens.ts";
export * from "./upstream-identity.ts";
export * from "./upstream-tokens.ts";
