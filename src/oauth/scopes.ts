/**
 * The scope every resource knows: `mcp`, use of the MCP endpoint the token is bound to (the
 * audience already says which server). A backend server may declare more scopes of its own, which
 * its resource then accepts and the proxy requires (see ResourceCatalog.scopesOf).
 */
export const SCOPES_SUPPORTED = ["mcp"] as const;
export const DEFAULT_SCOPE = "mcp";

/**
 * Parses a space-separated scope parameter against the scopes `allowed` (the resource's); absent
 * or empty → every allowed scope; an unknown scope → undefined.
 */
export function parseScope(
  value: string | undefined,
  allowed: readonly string[] = SCOPES_SUPPORTED,
): string | undefined {
  if (value === undefined || value.trim() === "") return [...new Set(allowed)].sort().join(" ");
  if (value.length > 1000) return undefined;
  const parts = [...new Set(value.split(" ").filter(Boolean))];
  if (!parts.every((s) => allowed.includes(s))) return undefined;
  return parts.sort().join(" ");
}

/** True when every scope of `asked` (space-separated, or a list) is in `granted`. */
export function scopeCovers(granted: string, asked: string | readonly string[]): boolean {
  const have = granted.split(" ");
  return (typeof asked === "string" ? asked.split(" ") : asked).every((s) => have.includes(s));
}
