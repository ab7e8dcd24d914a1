import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { oauthProvidersSchema, type ProviderFields } from "../identity/upstream/provider-schema.ts";
import { type SettingKey, settings } from "./settings/index.ts";
import type { SettingSpec } from "./settings/kinds.ts";
import { REMOVED_SETTINGS } from "./settings/policy.ts";
import { parseDotenv, parseYaml, SourceError, substituteVariables } from "./sources.ts";
import {
  type McpServiceConfig,
  mcpServicesSchema,
  type OAuthClientConfig,
  oauthClientsSchema,
} from "./structured.ts";

type SettingValues = { [K in SettingKey]: z.output<(typeof settings)[K]["schema"]> };

export type Config = Omit<SettingValues, "publicUrl"> & {
  /** Normalised public base URL without a trailing slash. */
  publicUrl: string;
  /** Absolute directory of the database file: generated secrets live here too. */
  dataDir: string;
  /** Absolute path of the SQLite file. */
  sqliteFile: string;
  mcpServices: Record<string, McpServiceConfig>;
  /** Pre-registered OAuth clients from the config file, by client_id. */
  oauthClients: Record<string, OAuthClientConfig>;
  /** Upstream identity providers from the config file (`oauth_providers`), by slug. */
  oauthProviders: Record<string, ProviderFields>;
  /**
   * Where each setting's value came from; a key not listed has its default. The runtime settings
   * (src/config/runtime) refuse to change a value fixed here and add "admin" for their own.
   */
  settingSources: Partial<Record<SettingKey, SettingSource>>;
};

/** Values given on the command line; they win over every other source. */
export interface CliOverrides {
  port?: string;
  host?: string;
  envFile?: string;
  configFile?: string;
}

export interface LoadInput {
  cli?: CliOverrides;
  env: Record<string, string | undefined>;
  cwd: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join("\n")}`);
  }
}

/** Where a value came from, as problem lines name it: files with their path. */
export type SettingSource =
  | "command line"
  | "environment"
  | `env file ${string}`
  | `config file ${string}`
  | "default";
type Source = SettingSource;
interface Candidate {
  value: unknown;
  source: Source;
  label: string;
}

const ENV_TO_KEY = new Map<string, SettingKey>(
  (Object.entries(settings) as [SettingKey, SettingSpec][]).map(([key, spec]) => [spec.env, key]),
);

/** YAML keys of the AuthMCP seed's shape that map onto a setting. */
const YAML_ALIASES: Record<string, SettingKey> = {
  host: "host",
  port: "port",
  issuer: "publicUrl",
  session_secret: "sessionSecret",
};
const YAML_STRUCTURED = new Set(["mcp_services", "oauth_clients", "oauth_providers", "debug", "cors"]);
/** Keys of the AuthMCP seed's shape whose feature does not exist yet: refused, not silently ignored. */
const YAML_NOT_SUPPORTED: Record<string, string> = {};
/** Seed keys about CORS that the gateway decides itself (it must expose MCP headers exactly). */
const CORS_IGNORED = new Set(["allow_credentials", "allow_methods", "allow_headers", "expose_headers"]);

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export function isLoopbackHost(hostname: string): boolean {
  return (
    LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname.endsWith(".localhost")
  );
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new SourceError(
      `${what} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(input: LoadInput): { config: Config; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const candidates = new Map<SettingKey, Candidate>();
  const offer = (key: SettingKey, candidate: Candidate) => {
    if (!candidates.has(key)) candidates.set(key, candidate);
  };
  const cli = input.cli ?? {};

  // Highest first: command line, environment, env file, config file.
  if (cli.port !== undefined) offer("port", { value: cli.port, source: "command line", label: "--port" });
  if (cli.host !== undefined) offer("host", { value: cli.host, source: "command line", label: "--host" });

  for (const [env, key] of ENV_TO_KEY) {
    const value = input.env[env];
    if (value !== undefined && value !== "") offer(key, { value, source: "environment", label: env });
  }
  for (const [env, replacement] of Object.entries(REMOVED_SETTINGS)) {
    if (input.env[env]) problems.push(`${env} (environment): no longer a setting; ${replacement}`);
  }

  let envFileValues = new Map<string, string>();
  const envFilePath = cli.envFile
    ? resolve(input.cwd, cli.envFile)
    : existsSync(resolve(input.cwd, ".env"))
      ? resolve(input.cwd, ".env")
      : undefined;
  if (envFilePath) {
    try {
      envFileValues = parseDotenv(readText(envFilePath, "env file"), envFilePath);
      for (const [env, value] of envFileValues) {
        const key = ENV_TO_KEY.get(env);
        if (!key) {
          problems.push(`${env} (env file ${envFilePath}): unknown setting`);
          continue;
        }
        if (value !== "") offer(key, { value, source: `env file ${envFilePath}`, label: env });
      }
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      problems.push(error.message);
    }
  }

  let mcpServicesRaw: unknown = {};
  let oauthClientsRaw: unknown = {};
  let oauthProvidersRaw: unknown = {};
  const configPath = cli.configFile ? resolve(input.cwd, cli.configFile) : "";
  const configSource = `config file ${configPath}` as const;
  if (cli.configFile) {
    const path = configPath;
    try {
      const parsed = parseYaml(readText(path, "config file"), path);
      const lookup = (name: string) => input.env[name] ?? envFileValues.get(name);
      const { value, missing } = substituteVariables(parsed ?? {}, lookup);
      for (const name of missing)
        problems.push(`\${${name}} (config file ${path}): environment variable is not set`);
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        problems.push(`config file ${path}: expected a mapping of settings at the top level`);
      } else {
        for (const [yamlKey, yamlValue] of Object.entries(value)) {
          const label = `${yamlKey} (config file ${path})`;
          const key = YAML_ALIASES[yamlKey] ?? ENV_TO_KEY.get(yamlKey.toUpperCase());
          if (key) {
            offer(key, { value: yamlValue, source: configSource, label: yamlKey });
          } else if (yamlKey === "mcp_services") {
            mcpServicesRaw = yamlValue ?? {};
          } else if (Object.hasOwn(YAML_NOT_SUPPORTED, yamlKey)) {
            problems.push(`${label}: ${YAML_NOT_SUPPORTED[yamlKey]}`);
          } else if (yamlKey === "oauth_clients") {
            oauthClientsRaw = yamlValue ?? {};
          } else if (yamlKey === "oauth_providers") {
            oauthProvidersRaw = yamlValue ?? {};
          } else if (yamlKey === "debug") {
            // `debug: ${DEBUG}` arrives as text after substitution.
            const debug = yamlValue === "true" ? true : yamlValue === "false" ? false : yamlValue;
            if (typeof debug !== "boolean") problems.push(`${label}: expected true or false`);
            else if (debug) offer("logLevel", { value: "debug", source: configSource, label: "debug" });
          } else if (yamlKey === "cors") {
            readCors(yamlValue, label, path, offer, problems, warnings);
          } else if (!YAML_STRUCTURED.has(yamlKey)) {
            problems.push(`${label}: unknown setting`);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      problems.push(error.message);
    }
  }

  const values: Record<string, unknown> = {};
  const settingSources: Partial<Record<SettingKey, SettingSource>> = {};
  for (const [key, spec] of Object.entries(settings) as [SettingKey, SettingSpec][]) {
    const candidate = candidates.get(key);
    const result = spec.schema.safeParse(candidate?.value);
    if (result.success) {
      values[key] = result.data;
      if (candidate) settingSources[key] = candidate.source;
      continue;
    }
    const where = candidate ? `${candidate.label === spec.env ? spec.env : `${candidate.label}`}` : spec.env;
    const from = candidate ? candidate.source : "default";
    const shown = spec.secret || candidate === undefined ? "" : `, got ${JSON.stringify(candidate.value)}`;
    const message = result.error.issues[0]?.message ?? "invalid value";
    problems.push(
      `${where === spec.env ? spec.env : `${where} (${spec.env})`} (${from}): ${message}${shown}`,
    );
  }

  const services = mcpServicesSchema.safeParse(mcpServicesRaw);
  if (!services.success) {
    for (const issue of services.error.issues) {
      problems.push(`mcp_services.${issue.path.join(".")} (${configSource}): ${issue.message}`);
    }
  }
  const oauthClients = oauthClientsSchema.safeParse(oauthClientsRaw);
  if (!oauthClients.success) {
    for (const issue of oauthClients.error.issues) {
      problems.push(`oauth_clients.${issue.path.join(".")} (${configSource}): ${issue.message}`);
    }
  }
  const oauthProviders = oauthProvidersSchema.safeParse(oauthProvidersRaw);
  if (!oauthProviders.success) {
    for (const issue of oauthProviders.error.issues) {
      problems.push(`oauth_providers.${issue.path.join(".")} (${configSource}): ${issue.message}`);
    }
  }
  // Checks across settings run even when some setting above was invalid, so one run reports every
  // problem; each check only needs the settings it reads to be valid.
  const scalar = values as SettingValues;
  const valid = (...keys: SettingKey[]) => keys.every((key) => Object.hasOwn(values, key));
  const publicUrl =
    valid("publicUrl", "allowInsecureHttp") && (scalar.publicUrl !== undefined || valid("port"))
      ? normalisePublicUrl(scalar, candidates.get("publicUrl"), problems)
      : undefined;
  if (valid("jwtSecretKey", "jwtAlgorithm") && scalar.jwtSecretKey && scalar.jwtAlgorithm !== "HS256") {
    problems.push(
      `JWT_SECRET_KEY (${candidates.get("jwtSecretKey")?.source}): only used with JWT_ALGORITHM=HS256`,
    );
  }
  if (valid("encryptionKey") && scalar.encryptionKey !== undefined) {
    const bytes = Buffer.from(scalar.encryptionKey, "base64");
    if (bytes.length !== 32) {
      problems.push(
        `ENCRYPTION_KEY (${candidates.get("encryptionKey")?.source}): expected base64 of exactly 32 bytes`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const sqliteFile = isAbsolute(scalar.sqlitePath)
    ? scalar.sqlitePath
    : resolve(input.cwd, scalar.sqlitePath);
  const config: Config = {
    ...scalar,
    publicUrl: publicUrl as string,
    dataDir: dirname(sqliteFile),
    sqliteFile,
    mcpServices: services.success ? services.data : {},
    oauthClients: oauthClients.success ? oauthClients.data : {},
    oauthProviders: oauthProviders.success ? oauthProviders.data : {},
    settingSources,
  };
  return { config, warnings };
}

function readCors(
  value: unknown,
  label: string,
  path: string,
  offer: (key: SettingKey, c: Candidate) => void,
  problems: string[],
  warnings: string[],
) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${label}: expected a mapping`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === "allow_origins")
      offer("allowedOrigins", { value: v, source: `config file ${path}`, label: "cors.allow_origins" });
    else if (CORS_IGNORED.has(k))
      warnings.push(
        `cors.${k} (config file ${path}): ignored; the gateway sets CORS methods and headers itself`,
      );
    else problems.push(`cors.${k} (config file ${path}): unknown setting`);
  }
}

function normalisePublicUrl(values: SettingValues, candidate: Candidate | undefined, problems: string[]) {
  const raw = values.publicUrl ?? `http://localhost:${values.port}`;
  const where = candidate ? `MCP_PUBLIC_URL (${candidate.source})` : "MCP_PUBLIC_URL (default)";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${where}: expected an absolute http or https URL, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${where}: expected an http or https URL, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  if (url.search || url.hash || url.username || url.password) {
    problems.push(`${where}: must not carry a query, fragment or credentials`);
    return undefined;
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !values.allowInsecureHttp) {
    problems.push(
      `${where}: http:// on a non-loopback host (${url.hostname}) sends tokens in clear text; use https or set ALLOW_INSECURE_HTTP=true`,
    );
    return undefined;
  }
  return url.href.replace(/\/+$/, "");
}
