// Each feature owns one schema file; this lists them for drizzle and the app.
export * from "./identity.ts";
export * from "./tokens.ts";
