import type { Clock } from "../clock.ts";
import type { McpServiceConfig } from "../config/structured.ts";
import type { SecretBox } from "../crypto/encryption.ts";
import { randomToken } from "../crypto/random.ts";
import type { Principal } from "../identity/user-service.ts";
import type { RegistryStore, ServerRow } from "./registry-store.ts";
import type { BackendCredential, CredentialKind, McpServer, StdioCommand, UserContextMode } from "./types.ts";

/** What a stdio server runs, as the admin API and the config file give it (env with its values). */
export interface StdioInput {
  command: string;
  args: string[];
  cwd?: string;
  /** Left out in an update: the values stored stay. */
  env?: Record<string, string>;
}

export interface ServerInput {
  name: string;
  displayName?: string;
  /** Required for HTTP transports; none for stdio. */
  url?: string;
  transport?: McpServer["transport"];
  /** Required for (and only for) the stdio transport. */
  stdio?: StdioInput;
  authRequired?: boolean;
  scopes?: string[];
  timeoutMs?: number;
  enabled?: boolean;
  openToAll?: boolean;
  userContext?: UserContextMode;
  credential?: BackendCredential;
}

export type RegistryResult =
  | { ok: true; server: McpServer }
  | { ok: false; status: 400 | 404 | 409; field?: string; message: string };

type ChangeListener = (serverId: string) => void;

/** The access decision the registry answers `canAccess` with (src/policy/access-policy.ts). */
export interface ServerAccess {
  canUse(server: McpServer, principal: Principal): boolean;
}

/**
 * Every backend server, in memory: the config file's `mcp_services` plus the rows created through
 * the admin API, with decrypted credentials cached. Writes go to the store and update
 * the maps, so the request path never reads the database.
 */
export class ServerRegistry {
  private readonly byIdMap = new Map<string, McpServer>();
  private readonly byNameMap = new Map<string, McpServer>();
  /** `list()`'s answer, sorted once per change: the aggregated endpoint asks on every request. */
  private sorted: readonly McpServer[] | undefined;
  /** Who may use which server: the access policy (src/policy), set once when the gateway is built. */
  private access: ServerAccess | undefined;
  private readonly credentials = new Map<string, Promise<BackendCredential>>();
  private readonly stdioEnvs = new Map<string, Promise<Record<string, string>>>();
  private readonly listeners: ChangeListener[] = [];

  constructor(
    private readonly store: RegistryStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly configServices: Record<string, McpServiceConfig>,
    private readonly defaultTimeoutMs: number,
  ) {
    this.reload();
  }

  /** Rebuilds the in-memory view from the config and the database. */
  reload(): void {
    this.byIdMap.clear();
    this.byNameMap.clear();
    this.sorted = undefined;
    this.credentials.clear();
    this.stdioEnvs.clear();
    for (const [name, service] of Object.entries(this.configServices)) {
      this.put({
        id: configId(name),
        name,
        displayName: service.name,
        url: service.url ?? "",
        transport: service.transport ?? "streamable-http",
        stdio: configStdio(service),
        authRequired: service.auth_required,
        scopes: service.scopes,
        timeoutMs: service.timeout ?? this.defaultTimeoutMs,
        enabled: service.enabled,
        openToAll: false,
        userContext: "none",
        credentialKind: "none",
        managedBy: "config",
        createdAt: 0,
        updatedAt: 0,
      });
    }
    for (const row of this.store.all()) {
      if (this.byNameMap.has(row.name)) continue; // the config file wins a name clash
      this.put(fromRow(row));
    }
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Every server, by name (the same array until a server changes: do not modify it). */
  list(): readonly McpServer[] {
    this.sorted ??= [...this.byIdMap.values()].sort((a, b) => a.name.localeCompare(b.name));
    return this.sorted;
  }

  byId(id: string): McpServer | undefined {
    return this.byIdMap.get(id);
  }

  byName(name: string): McpServer | undefined {
    return this.byNameMap.get(name);
  }

  useAccess(access: ServerAccess): void {
    this.access = access;
  }

  /** Admins, users granted the server (themselves or through a group), or all when it is open to all. */
  canAccess(server: McpServer, principal: Principal): boolean {
    return this.access?.canUse(server, principal) ?? (principal.isActive && principal.isAdmin);
  }

  /** The decrypted backend credential, decrypted once and kept until the server changes. */
  credential(serverId: string): Promise<BackendCredential> {
    let cached = this.credentials.get(serverId);
    if (!cached) {
      cached = this.loadCredential(serverId);
      this.credentials.set(serverId, cached);
    }
    return cached;
  }

  /**
   * The environment values of a stdio server, decrypted once and kept until the server changes
   * (config-file servers: from the file, never stored).
   */
  stdioEnv(serverId: string): Promise<Record<string, string>> {
    let cached = this.stdioEnvs.get(serverId);
    if (!cached) {
      cached = this.loadStdioEnv(serverId);
      this.stdioEnvs.set(serverId, cached);
    }
    return cached;
  }

  async create(input: ServerInput): Promise<RegistryResult> {
    if (this.byNameMap.has(input.name)) {
      return { ok: false, status: 409, field: "name", message: "a server with this name exists" };
    }
    const now = this.clock.now();
    const id = `srv_${randomToken(12)}`;
    const credential = input.credential ?? { kind: "none" };
    const server: McpServer = {
      id,
      name: input.name,
      displayName: input.displayName ?? input.name,
      url: input.url ?? "",
      transport: input.transport ?? "streamable-http",
      stdio: input.stdio ? stdioCommand(input.stdio) : undefined,
      authRequired: input.authRequired ?? true,
      scopes: input.scopes ?? [],
      timeoutMs: input.timeoutMs ?? this.defaultTimeoutMs,
      enabled: input.enabled ?? true,
      openToAll: input.openToAll ?? false,
      userContext: input.userContext ?? "none",
      credentialKind: credential.kind,
      managedBy: "api",
      createdAt: now,
      updatedAt: now,
    };
    const incoherent = transportProblem(server);
    if (incoherent) return incoherent;
    this.store.insert({
      ...toRow(server),
      credentialSealed: await this.seal(id, credential),
      stdioEnvSealed: await this.sealEnv(id, input.stdio),
    });
    this.put(server);
    this.changed(id);
    return { ok: true, server };
  }

  async update(id: string, patch: Partial<ServerInput>): Promise<RegistryResult> {
    const current = this.byIdMap.get(id);
    if (!current) return { ok: false, status: 404, message: "no such server" };
    if (current.managedBy === "config") {
      return { ok: false, status: 409, message: "this server is managed by the config file" };
    }
    if (patch.name !== undefined && patch.name !== current.name && this.byNameMap.has(patch.name)) {
      return { ok: false, status: 409, field: "name", message: "a server with this name exists" };
    }
    const transport = patch.transport ?? current.transport;
    if (patch.stdio && transport !== "stdio") {
      return { ok: false, status: 400, field: "command", message: "only for the stdio transport" };
    }
    if (patch.url !== undefined && transport === "stdio") {
      return { ok: false, status: 400, field: "url", message: "a stdio server has no URL" };
    }
    const next: McpServer = {
      ...current,
      name: patch.name ?? current.name,
      displayName: patch.displayName ?? current.displayName,
      // A server moved to stdio keeps no URL, one moved off it no command.
      url: transport === "stdio" ? "" : (patch.url ?? current.url),
      transport,
      stdio:
        transport !== "stdio"
          ? undefined
          : patch.stdio
            ? stdioCommand(patch.stdio, current.stdio?.envNames)
            : current.stdio,
      authRequired: patch.authRequired ?? current.authRequired,
      scopes: patch.scopes ?? current.scopes,
      timeoutMs: patch.timeoutMs ?? current.timeoutMs,
      enabled: patch.enabled ?? current.enabled,
      openToAll: patch.openToAll ?? current.openToAll,
      userContext: patch.userContext ?? current.userContext,
      credentialKind: patch.credential?.kind ?? current.credentialKind,
      updatedAt: this.clock.now(),
    };
    const incoherent = transportProblem(next);
    if (incoherent) return incoherent;
    const row: Partial<ServerRow> = toRow(next);
    if (patch.credential) row.credentialSealed = await this.seal(id, patch.credential);
    if (patch.stdio?.env !== undefined || transport !== "stdio")
      row.stdioEnvSealed = await this.sealEnv(id, patch.stdio);
    this.store.update(id, row);
    this.byNameMap.delete(current.name);
    this.put(next);
    if (patch.credential) this.credentials.delete(id);
    this.stdioEnvs.delete(id);
    this.changed(id);
    return { ok: true, server: next };
  }

  remove(id: string): RegistryResult {
    const current = this.byIdMap.get(id);
    if (!current) return { ok: false, status: 404, message: "no such server" };
    if (current.managedBy === "config") {
      return { ok: false, status: 409, message: "this server is managed by the config file" };
    }
    this.store.delete(id);
    this.byIdMap.delete(id);
    this.byNameMap.delete(current.name);
    this.sorted = undefined;
    this.credentials.delete(id);
    this.stdioEnvs.delete(id);
    this.changed(id);
    return { ok: true, server: current };
  }

  private put(server: McpServer): void {
    this.sorted = undefined;
    this.byIdMap.set(server.id, server);
    this.byNameMap.set(server.name, server);
  }

  private changed(id: string): void {
    for (const listener of this.listeners) listener(id);
  }

  private async seal(id: string, credential: BackendCredential): Promise<string | null> {
    if (credential.kind === "none") return null;
    return this.box.encrypt(JSON.stringify(credential), `mcp_server:${id}`);
  }

  private async sealEnv(id: string, stdio: StdioInput | undefined): Promise<string | null> {
    if (!stdio?.env || Object.keys(stdio.env).length === 0) return null;
    return this.box.encrypt(JSON.stringify(stdio.env), `mcp_server_env:${id}`);
  }

  private async loadStdioEnv(serverId: string): Promise<Record<string, string>> {
    const server = this.byIdMap.get(serverId);
    if (server?.transport !== "stdio") return {};
    if (server.managedBy === "config") return { ...(this.configServices[server.name]?.env ?? {}) };
    const row = this.store.byId(serverId);
    if (!row?.stdioEnvSealed) return {};
    const plain = await this.box.decrypt(row.stdioEnvSealed, `mcp_server_env:${serverId}`);
    return JSON.parse(plain) as Record<string, string>;
  }

  private async loadCredential(serverId: string): Promise<BackendCredential> {
    const server = this.byIdMap.get(serverId);
    if (!server || server.managedBy === "config") return { kind: "none" };
    const row = this.store.byId(serverId);
    if (!row?.credentialSealed) return { kind: "none" };
    const plain = await this.box.decrypt(row.credentialSealed, `mcp_server:${serverId}`);
    return JSON.parse(plain) as BackendCredential;
  }
}

export function configId(name: string): string {
  return `cfg-${name}`;
}

function stdioCommand(input: StdioInput, keptEnvNames: string[] = []): StdioCommand {
  const envNames = input.env === undefined ? keptEnvNames : Object.keys(input.env);
  return { command: input.command, args: input.args, cwd: input.cwd, envNames };
}

function configStdio(service: McpServiceConfig): StdioCommand | undefined {
  if (service.command === undefined) return undefined;
  return stdioCommand({
    command: service.command,
    args: service.args ?? [],
    cwd: service.cwd,
    env: service.env ?? {},
  });
}

/**
 * An HTTP server needs a URL; a stdio server a command, and neither a backend credential nor
 * user-context headers (there is no HTTP request to carry them).
 */
function transportProblem(server: McpServer): RegistryResult | undefined {
  const problem = (field: string, message: string): RegistryResult => ({
    ok: false,
    status: 400,
    field,
    message,
  });
  if (server.transport !== "stdio") {
    return server.url === "" ? problem("url", "required for this transport") : undefined;
  }
  if (!server.stdio) return problem("command", "required for a stdio server");
  if (server.credentialKind !== "none") return problem("credential", "a stdio server takes none");
  if (server.userContext !== "none") return problem("user_context", "a stdio server takes none");
  return undefined;
}

function parseStdioCommand(text: string | null): StdioCommand | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<StdioCommand>;
    if (typeof parsed.command !== "string") return undefined;
    return {
      command: parsed.command,
      args: Array.isArray(parsed.args) ? parsed.args.filter((a): a is string => typeof a === "string") : [],
      cwd: typeof parsed.cwd === "string" ? parsed.cwd : undefined,
      envNames: Array.isArray(parsed.envNames)
        ? parsed.envNames.filter((a): a is string => typeof a === "string")
        : [],
    };
  } catch {
    return undefined;
  }
}

function transportOf(value: string): McpServer["transport"] {
  return value === "sse" || value === "stdio" ? value : "streamable-http";
}

function fromRow(row: ServerRow): McpServer {
  let scopes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.scopes);
    if (Array.isArray(parsed)) scopes = parsed.filter((s): s is string => typeof s === "string");
  } catch {
    scopes = [];
  }
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    url: row.url,
    transport: transportOf(row.transport),
    stdio: parseStdioCommand(row.stdioCommand),
    authRequired: row.authRequired,
    scopes,
    timeoutMs: row.timeoutMs,
    enabled: row.enabled,
    openToAll: row.openToAll,
    userContext: row.userContext === "headers" || row.userContext === "jwt" ? row.userContext : "none",
    credentialKind: (["headers", "bearer", "client_credentials", "upstream_user_token"].includes(
      row.credentialKind,
    )
      ? row.credentialKind
      : "none") as CredentialKind,
    managedBy: "api",
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRow(server: McpServer): Omit<ServerRow, "credentialSealed" | "stdioEnvSealed"> {
  return {
    id: server.id,
    name: server.name,
    displayName: server.displayName,
    url: server.url,
    transport: server.transport,
    stdioCommand: server.stdio ? JSON.stringify(server.stdio) : null,
    authRequired: server.authRequired,
    scopes: JSON.stringify(server.scopes),
    timeoutMs: server.timeoutMs,
    enabled: server.enabled,
    openToAll: server.openToAll,
    userContext: server.userContext,
    credentialKind: server.credentialKind,
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
  };
}
