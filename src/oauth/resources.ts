import { SCOPES_SUPPORTED } from "./scopes.ts";

/** Scopes declared by backend servers: one server's, and all of them. */
export interface ScopeSource {
  of(server: string): readonly string[] | undefined;
  all(): Iterable<string>;
}

/**
 * The protected resources the gateway serves: the aggregated endpoint `{public}/mcp` and one per
 * backend server `{public}/mcp/{server}`. Their URIs are the canonical `resource` / `aud` values.
 */
export class ResourceCatalog {
  private readonly serverLookups: ((name: string) => boolean)[] = [];
  private readonly scopeSources: ScopeSource[] = [];

  constructor(readonly publicUrl: string) {}

  get aggregate(): string {
    return `${this.publicUrl}/mcp`;
  }

  serverResource(name: string): string {
    return `${this.publicUrl}/mcp/${name}`;
  }

  /** Adds a source of server names (config file, registry). */
  addServerLookup(lookup: (name: string) => boolean): void {
    this.serverLookups.push(lookup);
  }

  /** The server name of a per-server resource URI, or null for the aggregate; undefined when not ours. */
  parse(uri: string): { kind: "aggregate" } | { kind: "server"; server: string } | undefined {
    if (uri === this.aggregate) return { kind: "aggregate" };
    const prefix = `${this.aggregate}/`;
    if (!uri.startsWith(prefix)) return undefined;
    const name = uri.slice(prefix.length);
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) return undefined;
    return this.serverLookups.some((lookup) => lookup(name)) ? { kind: "server", server: name } : undefined;
  }

  isServed(uri: string): boolean {
    return this.parse(uri) !== undefined;
  }

  /** The alias URI of a server's resource: `{public}/{server}/mcp`, the same resource by another path. */
  serverAlias(name: string): string {
    return `${this.publicUrl}/${name}/mcp`;
  }

  /**
   * The canonical URI of a resource the gateway serves (an alias `{public}/{server}/mcp` becomes
   * `{public}/mcp/{server}`, the value tokens carry as `aud`); undefined when it is not served.
   */
  canonical(uri: string): string | undefined {
    if (this.parse(uri)) return uri;
    const prefix = `${this.publicUrl}/`;
    if (!uri.startsWith(prefix) || !uri.endsWith("/mcp")) return undefined;
    const server = this.serverResource(uri.slice(prefix.length, -"/mcp".length));
    return this.parse(server)?.kind === "server" ? server : undefined;
  }

  /** Adds a source of the scopes backend servers declare (their `scopes` setting). */
  addScopeSource(source: ScopeSource): void {
    this.scopeSources.push(source);
  }

  /** Every scope some resource accepts (what a client may register for). */
  knownScopes(): Set<string> {
    const scopes = new Set<string>(SCOPES_SUPPORTED);
    for (const source of this.scopeSources) for (const scope of source.all()) scopes.add(scope);
    return scopes;
  }

  /**
   * The scopes a token for this resource may carry: `mcp`, plus the scopes its server declares
   * (which the proxy then requires). Undefined when the resource is not served.
   */
  scopesOf(uri: string): string[] | undefined {
    const canonical = this.canonical(uri);
    const parsed = canonical === undefined ? undefined : this.parse(canonical);
    if (!parsed) return undefined;
    const scopes = new Set<string>(SCOPES_SUPPORTED);
    if (parsed.kind === "server") {
      for (const source of this.scopeSources)
        for (const scope of source.of(parsed.server) ?? []) scopes.add(scope);
    }
    return [...scopes];
  }
}
