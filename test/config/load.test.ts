import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { parseDotenv, substituteVariables } from "../../src/config/sources.ts";
import { tempDir } from "../support/context.ts";

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("every setting has its documented default", () => {
    const dir = tempDir();
    const { config } = loadConfig({ env: {}, cwd: dir });
    expect(config.port).toBe(8000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.publicUrl).toBe("http://localhost:8000");
    expect(config.jwtAlgorithm).toBe("ES256");
    expect(config.accessTokenMinutes).toBe(30);
    expect(config.refreshTokenDays).toBe(7);
    expect(config.allowInsecureHttp).toBe(false);
    expect(config.sqliteFile).toBe(join(dir, "data/users.db"));
    expect(config.dataDir).toBe(join(dir, "data"));
    expect(config.allowRegistration).toBe(false);
    expect(config.passwordMinLength).toBe(8);
    expect(config.passwordRequireSpecial).toBe(true);
    expect(config.logLevel).toBe("info");
    expect(config.maxBodyBytes).toBe(1024 * 1024);
    expect(config.allowedOrigins).toEqual([]);
  });

  test("the public URL follows PORT and loses a trailing slash", () => {
    expect(loadConfig({ env: { PORT: "9100" }, cwd: tempDir() }).config.publicUrl).toBe(
      "http://localhost:9100",
    );
    const { config } = loadConfig({ env: { MCP_PUBLIC_URL: "https://gw.example.com/" }, cwd: tempDir() });
    expect(config.publicUrl).toBe("https://gw.example.com");
  });
});

describe("precedence: command line > environment > env file > config file > default", () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, "config.yaml"),
    "port: 7001\nhost: 10.0.0.1\nlog_level: warn\npassword_min_length: 20\n",
  );
  writeFileSync(join(dir, "custom.env"), "PORT=7002\nHOST=10.0.0.2\nLOG_LEVEL=error\n");

  test("config file over defaults", () => {
    const { config } = loadConfig({ env: {}, cwd: dir, cli: { configFile: "config.yaml" } });
    expect([config.port, config.host, config.logLevel, config.passwordMinLength]).toEqual([
      7001,
      "10.0.0.1",
      "warn",
      20,
    ]);
  });
  test("env file over config file", () => {
    const { config } = loadConfig({
      env: {},
      cwd: dir,
      cli: { configFile: "config.yaml", envFile: "custom.env" },
    });
    expect([config.port, config.host, config.logLevel, config.passwordMinLength]).toEqual([
      7002,
      "10.0.0.2",
      "error",
      20,
    ]);
  });
  test("environment over env file", () => {
    const { config } = loadConfig({
      env: { PORT: "7003" },
      cwd: dir,
      cli: { configFile: "config.yaml", envFile: "custom.env" },
    });
    expect([config.port, config.host]).toEqual([7003, "10.0.0.2"]);
  });
  test("command line over environment", () => {
    const { config } = loadConfig({
      env: { PORT: "7003", HOST: "10.0.0.3" },
      cwd: dir,
      cli: { configFile: "config.yaml", envFile: "custom.env", port: "7004" },
    });
    expect([config.port, config.host]).toEqual([7004, "10.0.0.3"]);
  });
  test(".env in the working directory is read when no --env-file is given", () => {
    const withDotenv = tempDir();
    writeFileSync(join(withDotenv, ".env"), "PORT=7005\n");
    expect(loadConfig({ env: {}, cwd: withDotenv }).config.port).toBe(7005);
  });
});

describe("the YAML file in the AuthMCP seed's shape", () => {
  test("services, issuer and ${VAR} substitution", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "gw.yaml"),
      [
        'issuer: "https://gw.example.com"',
        'session_secret: "${SESSION_SECRET_VALUE}"',
        "debug: true",
        "cors:",
        '  allow_origins: ["https://app.example.com"]',
        "  allow_methods: [GET]",
        "mcp_services:",
        "  calculator:",
        '    name: "${CALC_NAME:-Calculator}"',
        '    url: "http://localhost:3001/mcp"',
        "    scopes: [read]",
        "    timeout: 30000",
      ].join("\n"),
    );
    const { config, warnings } = loadConfig({
      env: { SESSION_SECRET_VALUE: "s".repeat(40) },
      cwd: dir,
      cli: { configFile: "gw.yaml" },
    });
    expect(config.publicUrl).toBe("https://gw.example.com");
    expect(config.sessionSecret).toBe("s".repeat(40));
    expect(config.logLevel).toBe("debug");
    expect(config.allowedOrigins).toEqual(["https://app.example.com"]);
    expect(warnings.join("\n")).toContain("cors.allow_methods");
    expect(config.mcpServices.calculator).toEqual({
      name: "Calculator",
      url: "http://localhost:3001/mcp",
      auth_required: true,
      scopes: ["read"],
      timeout: 30000,
      enabled: true,
    });
  });

  test("${VAR} in boolean and number fields: the substituted text is read as a boolean or number", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "gw.yaml"),
      [
        "port: ${GW_PORT}",
        "debug: ${GW_DEBUG}",
        "allow_registration: ${GW_REGISTER}",
        "mcp_services:",
        "  notes:",
        "    name: Notes",
        "    url: ${NOTES_URL}",
        "    auth_required: ${NOTES_AUTH}",
        "    enabled: ${NOTES_ON:-true}",
        "    timeout: ${NOTES_TIMEOUT}",
      ].join("\n"),
    );
    const env = {
      GW_PORT: "7100",
      GW_DEBUG: "true",
      GW_REGISTER: "true",
      NOTES_URL: "http://127.0.0.1:9000/mcp",
      NOTES_AUTH: "false",
      NOTES_TIMEOUT: "2500",
    };
    const { config } = loadConfig({ env, cwd: dir, cli: { configFile: "gw.yaml" } });
    expect(config.port).toBe(7100);
    expect(config.logLevel).toBe("debug");
    expect(config.allowRegistration).toBe(true);
    expect(config.mcpServices.notes).toMatchObject({ auth_required: false, enabled: true, timeout: 2500 });
    const problems = problemsOf(() =>
      loadConfig({
        env: { ...env, NOTES_AUTH: "maybe", NOTES_TIMEOUT: "soon", GW_DEBUG: "loud" },
        cwd: dir,
        cli: { configFile: "gw.yaml" },
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toContain("debug (config file");
    expect(problems.join("\n")).toContain(
      `mcp_services.notes.auth_required (config file ${join(dir, "gw.yaml")}): expected true or false`,
    );
    expect(problems.join("\n")).toContain(
      `mcp_services.notes.timeout (config file ${join(dir, "gw.yaml")}): expected a whole number`,
    );
  });

  test("a missing ${VAR} is an error naming it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "gw.yaml"), 'session_secret: "${NOT_SET_ANYWHERE}"\n');
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } }));
    expect(problems.join("\n")).toContain("${NOT_SET_ANYWHERE}");
    expect(problems.join("\n")).toContain("environment variable is not set");
  });

  test("substitution leaves text without references alone and uses defaults", () => {
    const { value, missing } = substituteVariables({ a: "x ${A} y", b: ["${B:-two}"], c: 3 }, (n) =>
      n === "A" ? "one" : undefined,
    );
    expect(value).toEqual({ a: "x one y", b: ["two"], c: 3 });
    expect(missing).toEqual([]);
  });
});

describe("every error path stops with one line per problem naming setting and source", () => {
  test("wrong types in the environment", () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: { PORT: "abc", ALLOW_REGISTRATION: "maybe", JWT_ALGORITHM: "none", MAX_BODY_BYTES: "-1" },
        cwd: tempDir(),
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems).toContain('PORT (environment): expected a whole number from 0 to 65535, got "abc"');
    expect(problems.find((p) => p.startsWith("ALLOW_REGISTRATION (environment)"))).toContain("true or false");
    expect(problems.find((p) => p.startsWith("JWT_ALGORITHM (environment)"))).toContain(
      "ES256, RS256, HS256",
    );
    expect(problems.find((p) => p.startsWith("MAX_BODY_BYTES (environment)"))).toBeDefined();
  });

  test("checks across settings still run when another setting is invalid: every problem in one run", () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          PORT: "abc",
          LOG_LEVEL: "loud",
          MCP_PUBLIC_URL: "http://gw.example.com",
          JWT_SECRET_KEY: "x".repeat(40),
          ENCRYPTION_KEY: "dG9vIHNob3J0",
        },
        cwd: tempDir(),
      }),
    );
    expect(problems).toHaveLength(5);
    expect(problems[0]).toStartWith("PORT (environment)");
    expect(problems[1]).toStartWith("LOG_LEVEL (environment)");
    expect(problems.slice(2).map((p) => p.split(" ")[0])).toEqual([
      "MCP_PUBLIC_URL",
      "JWT_SECRET_KEY",
      "ENCRYPTION_KEY",
    ]);
    // The default public URL needs a valid PORT: no second, derived complaint about it.
    const portOnly = problemsOf(() => loadConfig({ env: { PORT: "abc" }, cwd: tempDir() }));
    expect(portOnly).toHaveLength(1);
  });

  test("an unknown key in the env file and in the config file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "PORTT=1\n");
    writeFileSync(join(dir, "gw.yaml"), "listen_port: 1\nstorage:\n  type: redis\n");
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } }));
    expect(problems.some((p) => p.startsWith("PORTT (env file") && p.endsWith("unknown setting"))).toBe(true);
    expect(
      problems.some((p) => p.startsWith("listen_port (config file") && p.endsWith("unknown setting")),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith("storage (config file"))).toBe(true);
  });

  test("a wrong type in the config file names the YAML key", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "gw.yaml"), "port: seventy\n");
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } }));
    expect(problems).toEqual([
      `port (PORT) (config file ${join(dir, "gw.yaml")}): expected a whole number from 0 to 65535, got "seventy"`,
    ]);
  });

  test("invalid services name the path", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "gw.yaml"),
      [
        "mcp_services:",
        "  Bad_Name:",
        "    name: x",
        "    url: http://localhost/mcp",
        "  ok:",
        "    name: ok",
        "    url: ftp://example.com",
        "    colour: blue",
      ].join("\n"),
    );
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } }));
    const text = problems.join("\n");
    expect(text).toContain("mcp_services.Bad_Name");
    expect(text).toContain("mcp_services.ok.url");
    expect(text).toContain("mcp_services.ok");
    expect(text).toContain("colour");
  });

  test("oauth_providers are validated (every problem named); a service's oauth_provider is still refused", () => {
    const dir = tempDir();
    const file = join(dir, "gw.yaml");
    writeFileSync(
      file,
      [
        "oauth_providers:",
        "  github:",
        "    client_id: gh-client",
        "mcp_services:",
        "  notes:",
        "    name: Notes",
        "    url: http://localhost:1/mcp",
        "    oauth_provider: github",
      ].join("\n"),
    );
    const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "gw.yaml" } }));
    expect(problems).toContain(
      `mcp_services.notes (config file ${file}): Unrecognized key: "oauth_provider"`,
    );
    expect(problems.filter((p) => p.startsWith("oauth_providers.github."))).toEqual([
      `oauth_providers.github.type (config file ${file}): expected one of oidc, google, entra, okta, keycloak, auth0, gitlab, github`,
    ]);
  });

  test("oauth_providers: a valid provider is loaded with its ${VAR} secret and defaults", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "gw.yaml"),
      [
        "oauth_providers:",
        "  corp:",
        "    type: oidc",
        "    display_name: Corp",
        "    issuer: https://idp.corp.example",
        "    client_id: gw",
        "    client_secret: ${CORP_SECRET}",
        "    jit_provisioning: ${CORP_JIT}",
      ].join("\n"),
    );
    const { config } = loadConfig({
      env: { CORP_SECRET: "s3cret", CORP_JIT: "true" },
      cwd: dir,
      cli: { configFile: "gw.yaml" },
    });
    expect(config.oauthProviders.corp).toMatchObject({
      client_secret: "s3cret",
      jit_provisioning: true,
      link_by_verified_email: false,
      require_verified_email: true,
    });
  });

  test("MCP_LOG_DB_ENABLED is a setting (its effect: test/activity/recording.test.ts)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".env"), "MCP_LOG_DB_ENABLED=false\n");
    expect(loadConfig({ env: {}, cwd: dir }).config.mcpLogDbEnabled).toBe(false);
    expect(problemsOf(() => loadConfig({ env: { MCP_LOG_DB_ENABLED: "sometimes" }, cwd: dir }))).toEqual([
      `MCP_LOG_DB_ENABLED (environment): expected true or false, got "sometimes"`,
    ]);
  });

  test("a non-loopback http public URL is refused unless ALLOW_INSECURE_HTTP", () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { MCP_PUBLIC_URL: "http://gw.example.com" }, cwd: tempDir() }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("MCP_PUBLIC_URL (environment)");
    expect(problems[0]).toContain("ALLOW_INSECURE_HTTP");
    const { config } = loadConfig({
      env: { MCP_PUBLIC_URL: "http://gw.example.com", ALLOW_INSECURE_HTTP: "true" },
      cwd: tempDir(),
    });
    expect(config.publicUrl).toBe("http://gw.example.com");
    for (const ok of ["http://127.0.0.1:9000", "http://[::1]:9000", "http://gw.localhost"]) {
      expect(loadConfig({ env: { MCP_PUBLIC_URL: ok }, cwd: tempDir() }).config.publicUrl).toBe(ok);
    }
  });

  test("public URL with a query, a non-http scheme, or garbage", () => {
    for (const bad of [
      "https://gw.example.com/?x=1",
      "ftp://gw.example.com",
      "not a url",
      "https://u:p@gw.example.com",
    ]) {
      const problems = problemsOf(() => loadConfig({ env: { MCP_PUBLIC_URL: bad }, cwd: tempDir() }));
      expect(problems[0]).toStartWith("MCP_PUBLIC_URL (environment)");
    }
  });

  test("ALLOWED_ORIGINS: entries are normalised like the Origin header; one that could never match is refused", () => {
    const { config } = loadConfig({
      env: { ALLOWED_ORIGINS: "https://App.Example.com/, http://localhost:5173 , https://b.example.com:443" },
      cwd: tempDir(),
    });
    expect(config.allowedOrigins).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
      "https://b.example.com",
    ]);
    expect(loadConfig({ env: { ALLOWED_ORIGINS: "*" }, cwd: tempDir() }).config.allowedOrigins).toEqual([
      "*",
    ]);
    for (const bad of [
      "app.example.com",
      "https://app.example.com/path",
      "ftp://x.example.com",
      "https://a.example.com?x",
    ]) {
      const problems = problemsOf(() => loadConfig({ env: { ALLOWED_ORIGINS: bad }, cwd: tempDir() }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toStartWith(
        "ALLOWED_ORIGINS (environment): expected origins like https://app.example.com",
      );
    }
  });

  test("secrets are validated without being echoed", () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { JWT_ALGORITHM: "HS256", JWT_SECRET_KEY: "short-secret-value" }, cwd: tempDir() }),
    );
    expect(problems).toEqual(["JWT_SECRET_KEY (environment): expected at least 32 characters"]);
    expect(problems.join()).not.toContain("short-secret-value");
    const wrongAlg = problemsOf(() =>
      loadConfig({ env: { JWT_SECRET_KEY: "x".repeat(40) }, cwd: tempDir() }),
    );
    expect(wrongAlg[0]).toContain("only used with JWT_ALGORITHM=HS256");
    const badKey = problemsOf(() => loadConfig({ env: { ENCRYPTION_KEY: "dG9vIHNob3J0" }, cwd: tempDir() }));
    expect(badKey[0]).toContain("32 bytes");
    expect(badKey[0]).not.toContain("dG9vIHNob3J0");
  });

  test("unreadable files and invalid YAML or dotenv", () => {
    const dir = tempDir();
    expect(
      problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "missing.yaml" } }))[0],
    ).toContain("cannot be read");
    expect(problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { envFile: "missing.env" } }))[0]).toContain(
      "cannot be read",
    );
    writeFileSync(join(dir, "bad.yaml"), "port: [1,\n");
    expect(problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "bad.yaml" } }))[0]).toContain(
      "not valid YAML",
    );
    writeFileSync(join(dir, "list.yaml"), "- a\n- b\n");
    expect(
      problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { configFile: "list.yaml" } }))[0],
    ).toContain("expected a mapping");
    writeFileSync(join(dir, "bad.env"), "this is not a setting\n");
    expect(problemsOf(() => loadConfig({ env: {}, cwd: dir, cli: { envFile: "bad.env" } }))[0]).toContain(
      "expected KEY=VALUE",
    );
  });
});

test("dotenv parsing: quotes, export, comments", () => {
  const values = parseDotenv(
    [
      "# comment",
      "export PORT=9000",
      'HOST="0.0.0.0" ',
      "LOG_LEVEL=debug # trailing",
      "A='x#y'",
      'B="a\\nb"',
      "",
    ].join("\n"),
    "t.env",
  );
  expect(Object.fromEntries(values)).toEqual({
    PORT: "9000",
    HOST: "0.0.0.0",
    LOG_LEVEL: "debug",
    A: "x#y",
    B: "a\nb",
  });
});
