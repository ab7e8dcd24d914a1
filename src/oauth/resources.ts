import { SCOPES_SUPPORTED } from "./scopes.ts";

/**
 * The protected resources the gateway serves: the aggregated endpoint `{public}/mcp` and one per
 * backend server `{public}/mcp/{server}`. Their URIs are the canonical `resource` / `aud` values.
 */
export class ResourceCatalog {
  private readonly serverLookups: ((name: string) => boolean)[] = [];
  private readonly scopeLookups: ((name: string) => readonly string[] | undefined)[] = [];

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

  /** Adds a source of the scopes a backend server declares (its `scopes` setting). */
  addScopeLookup(lookup: (name: string) => readonly string[] | undefined): void {
    this.scopeLookups.push(lookup);
  }

  /**
   * The scopes a token for this resource may carry: `mcp`, plus the scopes its server declares
   * (which the proxy then requires). Undefined when the resource is not served.
   */
  scopesOf(uri: string): string[] | undefined {
    const parsed = this.parse(uri);
    if (!parsed) return undefined;
    const scopes = new Set<string>(SCOPES_SUPPORTED);
    if (parsed.kind === "server") {
      for (const lookup of this.scopeLookups)
        for (const scope of lookup(parsed.server) ?? []) scopes.add(scope);
    }
    return [...scopes];
  }
}
