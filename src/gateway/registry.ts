import type { Clock } from "../clock.ts";
import type { McpServiceConfig } from "../config/structured.ts";
import type { SecretBox } from "../crypto/encryption.ts";
import { randomToken } from "../crypto/random.ts";
import type { Principal } from "../identity/user-service.ts";
import type { RegistryStore, ServerRow } from "./registry-store.ts";
import type { BackendCredential, CredentialKind, McpServer, UserContextMode } from "./types.ts";

export interface ServerInput {
  name: string;
  displayName?: string;
  url: string;
  transport?: McpServer["transport"];
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

/**
 * Every backend server, in memory: the config file's `mcp_services` plus the rows created through
 * the admin API, with grants and decrypted credentials cached. Writes go to the store and update
 * the maps, so the request path never reads the database.
 */
export class ServerRegistry {
  private readonly byIdMap = new Map<string, McpServer>();
  private readonly byNameMap = new Map<string, McpServer>();
  private readonly grantsMap = new Map<string, Set<string>>();
  private readonly credentials = new Map<string, Promise<BackendCredential>>();
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
    this.grantsMap.clear();
    this.credentials.clear();
    for (const [name, service] of Object.entries(this.configServices)) {
      this.put({
        id: configId(name),
        name,
        displayName: service.name,
        url: service.url,
        transport: "streamable-http",
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
    for (const grant of this.store.grants()) this.grantSet(grant.serverId).add(grant.userId);
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  list(): McpServer[] {
    return [...this.byIdMap.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  byId(id: string): McpServer | undefined {
    return this.byIdMap.get(id);
  }

  byName(name: string): McpServer | undefined {
    return this.byNameMap.get(name);
  }

  grantedUsers(serverId: string): string[] {
    return [...(this.grantsMap.get(serverId) ?? [])];
  }

  /** Admins, users granted the server, or every active user when it is open to all. */
  canAccess(server: McpServer, principal: Principal): boolean {
    if (!principal.isActive) return false;
    if (principal.isAdmin || server.openToAll) return true;
    return this.grantsMap.get(server.id)?.has(principal.id) ?? false;
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
      url: input.url,
      transport: input.transport ?? "streamable-http",
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
    this.store.insert({
      ...toRow(server),
      credentialSealed: await this.seal(id, credential),
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
    const next: McpServer = {
      ...current,
      name: patch.name ?? current.name,
      displayName: patch.displayName ?? current.displayName,
      url: patch.url ?? current.url,
      transport: patch.transport ?? current.transport,
      authRequired: patch.authRequired ?? current.authRequired,
      scopes: patch.scopes ?? current.scopes,
      timeoutMs: patch.timeoutMs ?? current.timeoutMs,
      enabled: patch.enabled ?? current.enabled,
      openToAll: patch.openToAll ?? current.openToAll,
      userContext: patch.userContext ?? current.userContext,
      credentialKind: patch.credential?.kind ?? current.credentialKind,
      updatedAt: this.clock.now(),
    };
    const row: Partial<ServerRow> = toRow(next);
    if (patch.credential) row.credentialSealed = await this.seal(id, patch.credential);
    this.store.update(id, row);
    this.byNameMap.delete(current.name);
    this.put(next);
    if (patch.credential) this.credentials.delete(id);
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
    this.grantsMap.delete(id);
    this.credentials.delete(id);
    this.changed(id);
    return { ok: true, server: current };
  }

  grant(serverId: string, userId: string): void {
    this.store.grant(serverId, userId, this.clock.now());
    this.grantSet(serverId).add(userId);
  }

  revoke(serverId: string, userId: string): void {
    this.store.revoke(serverId, userId);
    this.grantsMap.get(serverId)?.delete(userId);
  }

  private put(server: McpServer): void {
    this.byIdMap.set(server.id, server);
    this.byNameMap.set(server.name, server);
  }

  private grantSet(serverId: string): Set<string> {
    let set = this.grantsMap.get(serverId);
    if (!set) {
      set = new Set();
      this.grantsMap.set(serverId, set);
    }
    return set;
  }

  private changed(id: string): void {
    for (const listener of this.listeners) listener(id);
  }

  private async seal(id: string, credential: BackendCredential): Promise<string | null> {
    if (credential.kind === "none") return null;
    return this.box.encrypt(JSON.stringify(credential), `mcp_server:${id}`);
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
    transport: row.transport === "sse" ? "sse" : "streamable-http",
    authRequired: row.authRequired,
    scopes,
    timeoutMs: row.timeoutMs,
    enabled: row.enabled,
    openToAll: row.openToAll,
    userContext: row.userContext === "headers" || row.userContext === "jwt" ? row.userContext : "none",
    credentialKind: (["headers", "bearer", "client_credentials"].includes(row.credentialKind)
      ? row.credentialKind
      : "none") as CredentialKind,
    managedBy: "api",
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toRow(server: McpServer): Omit<ServerRow, "credentialSealed"> {
  return {
    id: server.id,
    name: server.name,
    displayName: server.displayName,
    url: server.url,
    transport: server.transport,
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
