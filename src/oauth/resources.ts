/**
 * The protected resources the gateway serves: the aggregated endpoint `{public}/mcp` and one per
 * backend server `{public}/mcp/{server}`. Their URIs are the canonical `resource` / `aud` values.
 */
export class ResourceCatalog {
  private readonly serverLookups: ((name: string) => boolean)[] = [];

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
}
