// Each feature owns one schema file; this lists them for drizzle and the app.

export * from "./gateway.ts";
export * from "./identity.ts";
export * from "./oauth.ts";
export * from "./policy.ts";
export * from "./rate-limits.ts";
export * from "./tokens.ts";
