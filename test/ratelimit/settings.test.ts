import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { tempDir } from "../support/context.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, cwd: tempDir() });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("settings replaced by the rate-limit module", () => {
  test("a removed setting in the environment stops the start and names its replacement", () => {
    expect(problemsOf({ TRUST_PROXY_HEADERS: "true" })).toEqual([
      "TRUST_PROXY_HEADERS (environment): no longer a setting; set TRUSTED_PROXIES to the reverse proxy's addresses (CIDR) instead",
    ]);
    expect(problemsOf({ RATE_LIMIT_AUTH_PER_MINUTE: "20" })[0]).toContain("RATE_LIMIT_LOGIN_MAX");
    expect(problemsOf({ OAUTH_REGISTRATION_PER_MINUTE: "10" })[0]).toContain(
      "RATE_LIMIT_CLIENT_REGISTRATION_MAX",
    );
  });

  test("TRUSTED_PROXIES refuses an entry that is not an address or network", () => {
    expect(problemsOf({ TRUSTED_PROXIES: "10.0.0.0/8, proxy.internal" }).join("\n")).toContain(
      "proxy.internal",
    );
    expect(problemsOf({ TRUSTED_PROXIES: "10.0.0.0/8, ::1, 192.168.1.7" })).toEqual([]);
  });
});
